/**
 * Markdown (as the LLM writes it) → Slack mrkdwn, with `slackify-markdown`; `[n]` citations
 * stay as they are, and never become links (a link on a bare number is shown as [n]: the
 * sources list is where a citation leads). Anything Slack would read as a control sequence (`<!channel>`, `<@U…>`,
 * raw HTML) is escaped, so model output can never ping a channel or mention someone.
 */
import slackify from 'slackify-markdown';

/** A link slackify-markdown itself produced (`<https://…|label>`, `<mailto:…>`), or any other `<`. */
const LINK_OR_ANGLE = /(<(?:https?:\/\/|mailto:)[^\s<>|]*(?:\|([^<>]*))?>)|</g;
/** A link label that is a citation marker: `1`, `[1]`, `1, 2`. */
const CITATION_LABEL = /^\[?\d{1,4}(?:\s*[,;–-]\s*\d{1,4})*\]?$/;

export function toMrkdwn(markdown: string): string {
  const converted = slackify(markdown).replace(/\n+$/, '');
  // Only `<` opens a control sequence (`>` at a line start is a harmless quote): escape every
  // one that does not open a link the converter made.
  return neutralizeMentions(
    converted.replace(LINK_OR_ANGLE, (_, link?: string, label?: string) => {
      if (!link) return '&lt;';
      // `[1](url)` or `[1]: url` from the model: the URL is the model's, not the cited source's.
      return label !== undefined && CITATION_LABEL.test(label.trim()) ? `[${label.trim().replace(/^\[|\]$/g, '')}]` : link;
    }),
  );
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
