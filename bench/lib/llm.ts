/**
 * The LLM stand-in for the answer and chat benchmarks: the project's fake
 * OpenAI-compatible server (test/fakes/llm-server.ts) with a realistic first-token
 * delay and token rate, answering with a few sentences of its first source, cited.
 *
 * The delay and rate are the LLM's own time, subtracted from the measured times to
 * get askdocs' overhead. The fake sleeps exactly that long after receiving the
 * request, so any lateness (a busy event loop) is counted as askdocs' overhead,
 * never hidden in the LLM's share.
 */
import { defaultResponder, type FakeLlm, firstSourceText, type RecordedRequest, startFakeLlm, tokenize } from 'askdocs/test';

export interface LlmProfile {
  /** Wait before the first token, for every request (condensing and answering). */
  firstTokenDelayMs: number;
  tokensPerSecond: number;
  /** Length of an answer, in the fake's word-sized tokens. */
  answerTokens: number;
}

/** DeepSeek-chat-like: ~0.7 s to the first token, ~30 tokens/s, 80-word answers. */
export const REALISTIC_LLM: LlmProfile = { firstTokenDelayMs: 700, tokensPerSecond: 30, answerTokens: 80 };

export interface BenchLlm {
  fake: FakeLlm;
  profile: LlmProfile;
  /** The LLM's own time for one request: its first-token delay, plus streaming the rest. */
  ownTimeMs(request: RecordedRequest): number;
  /** Reply text per request, by arrival order (recorded so the LLM's time can be computed). */
  replies: WeakMap<RecordedRequest, string>;
  close(): Promise<void>;
}

export async function startBenchLlm(profile: LlmProfile): Promise<BenchLlm> {
  const replies = new WeakMap<RecordedRequest, string>();
  const fake = await startFakeLlm({
    behaviour: {
      firstTokenDelayMs: profile.firstTokenDelayMs,
      tokensPerSecond: profile.tokensPerSecond,
      respond(request) {
        const text = request.stream ? answerFor(request, profile.answerTokens) : defaultResponder(request);
        replies.set(request, text);
        return text;
      },
    },
  });
  return {
    fake,
    profile,
    replies,
    ownTimeMs(request) {
      const tokens = tokenize(replies.get(request) ?? '').length;
      const streaming = request.stream && tokens > 1 ? ((tokens - 1) * 1000) / profile.tokensPerSecond : 0;
      return profile.firstTokenDelayMs + streaming;
    },
    close: () => fake.close(),
  };
}

/** About `tokens` words from the first source in the prompt, citing it as [1]. */
function answerFor(request: RecordedRequest, tokens: number): string {
  const prompt = (request.messages ?? []).map((m) => m.content).join('\n');
  const source = firstSourceText(prompt);
  if (!source) return "The docs don't cover this.";
  const words = source
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/[#*_`|<>[\]]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const picked: string[] = ['According', 'to', 'the', 'docs:'];
  for (let i = 0; picked.length < tokens - 1 && words.length > 0; i++) picked.push(words[i % words.length]!);
  return `${picked.join(' ')} [1]`;
}
