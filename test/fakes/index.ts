/**
 * askdocs' test fakes, in one place for the tests and the benchmarks
 * (`import { FakeSlackApi, startFakeDiscord } from 'askdocs/test'`, the way the AI SDK
 * publishes `ai/test`): a scripted engine, the Slack Web API and signed Slack requests,
 * Discord's REST API and gateway, an OpenAI-compatible server, and test settings.
 * Fakes stand in only for what askdocs talks to over the network; everything of
 * askdocs' own is real in tests. Nothing here imports test/support or bench.
 */
export { CORPUS_DIR, EVAL_SET, NEEDS_SHARED, testConfig } from './config.ts';
export {
  ChannelKind,
  type FakeChannel,
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeInteraction,
  InteractionKind,
  MessageFlag,
  startFakeDiscord,
} from './discord/index.ts';
export { pageSource, type Script, ScriptedEngine, source } from './engine.ts';
export {
  defaultResponder,
  type FakeLlm,
  type FakeLlmOptions,
  type FakeLlmReply,
  firstSourceText,
  hashEmbedding,
  type RecordedRequest,
  startFakeLlm,
  tokenize,
} from './llm-server.ts';
export { FAKE_BOT, FakeSlackApi } from './slack-api.ts';
export {
  assistantThreadBody,
  blockActionsBody,
  eventBody,
  SIGNING_SECRET,
  sendAssistantThread,
  sendBlockAction,
  sendEvent,
  sendSigned,
  sendSlashCommand,
  slashCommandBody,
} from './slack-requests.ts';
