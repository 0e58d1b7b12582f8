/**
 * Markdown (as the LLM writes it) → Slack mrkdwn, for messages posted with `text`
 * or section blocks: bold, italics, links, lists, headings and code blocks are
 * converted by `slackify-markdown`; `[n]` citations are kept as they are.
 *
 * Anything that Slack would read as a control sequence (`<!channel>`, `<@U…>`, raw
 * HTML) is escaped, so model output can never ping a channel or mention someone.
 */
import slackify from 'slackify-markdown';

/** Links slackify-markdown itself produces: `<https://…|label>` or `<mailto:…>`. */
const GENERATED_LINK = /<(?:https?:\/\/|mailto:)[^\s<>]*(?:\|[^<>]*)?>/g;

export function toMrkdwn(markdown: string): string {
  const converted = slackify(markdown).replace(/\n+$/, '');
  return neutralizeMentions(escapeStrayAngles(converted));
}

/** Escapes every `<` and `>` that is not part of a link produced by the converter. */
function escapeStrayAngles(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(GENERATED_LINK)) {
    out += escapeAngles(text.slice(last, match.index));
    out += match[0];
    last = match.index + match[0].length;
  }
  return out + escapeAngles(text.slice(last));
}

function escapeAngles(text: string): string {
  // `>` at a line start is mrkdwn's quote marker and is harmless; only `<` opens controls.
  return text.replace(/</g, '&lt;');
}

/**
 * For Markdown Slack renders itself (`markdown_text` in chat streaming), where `&lt;`
 * would show literally: a zero-width space after `<` before `!`, `@` or `#` breaks
 * `<!channel>`, `<@U…>`, `<!subteam^…>` and `<#C…>`, and one after `@` breaks
 * `@channel`, `@here` and `@everyone`. The text looks the same; nobody is pinged.
 */
export function neutralizeMentions(text: string): string {
  return text.replace(/<(?=[!@#])/g, '<\u200B').replace(/@(?=(?:channel|here|everyone)\b)/gi, '@\u200B');
}

/**
 * How much of streamed text can be sent now: not a trailing `<…` or `@…` that may yet
 * become a mention when the next delta arrives (it is sent with that delta instead).
 */
export function mentionSafeLength(text: string): number {
  const tail = /[<@][^\s<@]{0,9}$/.exec(text);
  return tail ? tail.index : text.length;
}

/** Escapes user text for a mrkdwn field (question echoes, labels). */
export function escapeMrkdwn(text: string): string {
  return neutralizeMentions(text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
}
