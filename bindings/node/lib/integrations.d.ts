// Types of the framework integrations: ai-sdk.js (Vercel AI SDK), mastra.js (Mastra) and
// reporter.js (ActivityReporter). The parameter types are structural and loose on purpose: the
// SDKs' own event types (ai@5, ai@6, @mastra/core 1.x) are assignable to them under --strict, so
// the handler objects can be spread into generateText / streamText / agent.generate / stream.

import type { Session } from './index';

/** The Session methods the integrations call (any agentmetrics Session satisfies it). */
export type MetricsSession = Pick<
  Session,
  | 'nowNs'
  | 'recordModelCall'
  | 'recordToolCall'
  | 'toolStart'
  | 'toolEnd'
  | 'turnBegin'
  | 'turnEnd'
  | 'formatTurn'
  | 'formatSummary'
>;

/** Options both integrations take. */
export interface IntegrationOptions<S extends MetricsSession = MetricsSession> {
  /**
   * The SDK's `model.provider` string (e.g. "anthropic.messages"), recorded as the provider and
   * used to read the usage. Default: the step's `model.provider` (ai@6 >= 6.0.93, Mastra).
   * Needed with ai@5, whose steps do not name the provider.
   */
  provider?: string;
  /** Model name for steps that carry none (default: `response.modelId`, then `model.modelId`). */
  model?: string;
  /** "agent" (default) or "tool:NAME" for a generation run inside a tool. */
  source?: string;
  /** Called after the integration ends a turn it began (e.g. `(s) => reporter.turn(s)`). */
  onTurnEnd?: (session: S) => void;
  /** Failures inside the handlers (they never throw into the SDK). Default: a process warning. */
  onInternalError?: (error: unknown, what: string) => void;
}

// ---- Vercel AI SDK ----

export type AiSdkUsageFormat = 'ai_sdk_v4' | 'ai_sdk_v5' | 'ai_sdk_v6';

export interface AiSdkMetricsOptions<S extends MetricsSession = MetricsSession> extends IntegrationOptions<S> {
  /** Default: from each step's usage object (inputTokenDetails: v6; promptTokens: v4; else v5). */
  usageFormat?: AiSdkUsageFormat;
}

/** What the handlers read of an AI SDK step (StepResult of ai@4, ai@5, ai@6). */
export interface AiSdkStepLike {
  readonly usage?: unknown;
  readonly providerMetadata?: unknown;
  readonly finishReason?: string;
  readonly response?: { readonly modelId?: string };
  readonly model?: { readonly provider?: string; readonly modelId?: string };
  readonly toolCalls?: ReadonlyArray<{ readonly toolCallId?: string; readonly toolName?: string }>;
  readonly toolResults?: ReadonlyArray<{ readonly toolCallId?: string }>;
  readonly content?: ReadonlyArray<unknown>;
}

/** What the handlers read of a streamText chunk. */
export interface AiSdkChunkLike {
  readonly type: string;
  readonly toolCallId?: string;
  readonly toolName?: string;
  readonly preliminary?: boolean;
  readonly error?: unknown;
}

export interface AiSdkToolCallLike {
  readonly toolCallId: string;
  readonly toolName: string;
}

/**
 * Handlers for generateText / streamText. The properties are the SDK options and are enumerable
 * (spread them: `generateText({ model, prompt, ...metrics })`); the methods and `session` are not.
 */
export declare class AiSdkHandlers<S extends MetricsSession = MetricsSession> {
  private constructor();
  /** ai@6: the generation starts (begins the turn). */
  readonly experimental_onStart: (event: { readonly model?: { readonly provider?: string; readonly modelId?: string } }) => void;
  /** streamText: tool-call / tool-result chunks time the tool calls. */
  readonly onChunk: (event: { readonly chunk: AiSdkChunkLike }) => void;
  /** ai@6: a tool's execution starts. */
  readonly experimental_onToolCallStart: (event: { readonly toolCall: AiSdkToolCallLike }) => void;
  /** ai@6: a tool's execution ends. */
  readonly experimental_onToolCallFinish: (event: {
    readonly toolCall: AiSdkToolCallLike;
    readonly success: boolean;
    readonly error?: unknown;
  }) => void;
  /** Records the step's model call (and the tool calls no event timed). */
  readonly onStepFinish: (step: AiSdkStepLike) => void;
  /** Ends the turn; records no usage (totalUsage repeats the steps). */
  readonly onFinish: (event?: unknown) => void;
  /** streamText: ends the turn; tool calls still open end as "aborted". */
  readonly onAbort: (event?: unknown) => void;
  /** The session recorded into. */
  get session(): S;
  /** Begin the turn now (call just before the SDK call when no experimental_onStart fires). */
  beginTurn(): void;
  /** End the turn if it is still open (ai@5 generateText, or after a failure); idempotent. */
  endTurn(): void;
  /** streamText's onError event ({ error }) or an error: a failed model call, and the turn ends. */
  onError(event: unknown): void;
}

/** Handlers that record an AI SDK generation into `session`. */
export declare function aiSdkMetrics<S extends MetricsSession>(session: S, options?: AiSdkMetricsOptions<S>): AiSdkHandlers<S>;

// ---- Mastra ----

export interface MastraMetricsOptions<S extends MetricsSession = MetricsSession> extends IntegrationOptions<S> {
  /** Mastra's model.version ("v2" | "v3"); default: the step's `model.version`. */
  modelVersion?: string;
}

/** What the handlers read of a Mastra step (LLMStepResult & { model }). */
export interface MastraStepLike {
  readonly usage?: unknown;
  readonly providerMetadata?: unknown;
  readonly finishReason?: string;
  readonly response?: { readonly modelId?: string };
  readonly model?: { readonly modelId?: string; readonly provider?: string; readonly version?: string };
  readonly toolCalls?: ReadonlyArray<unknown>;
  readonly toolResults?: ReadonlyArray<unknown>;
  readonly content?: ReadonlyArray<unknown>;
}

/** What the handlers read of a Mastra chunk ({ type, payload }). */
export interface MastraChunkLike {
  readonly type: string;
  readonly payload?: unknown;
}

/**
 * Handlers for Mastra `agent.generate` / `agent.stream`. The properties are Agent options and
 * enumerable (`agent.generate(msg, { maxSteps: 5, ...metrics })`); the methods and `session` are not.
 */
export declare class MastraHandlers<S extends MetricsSession = MetricsSession> {
  private constructor();
  /** tool-call / tool-result / tool-error chunks time the tool calls (generate and stream). */
  readonly onChunk: (chunk: MastraChunkLike) => void;
  /** Records the step's model call (and the tool calls no chunk timed). */
  readonly onStepFinish: (step: MastraStepLike) => void;
  /** Ends the turn; records no usage (totalUsage repeats the steps). */
  readonly onFinish: (event?: { readonly error?: unknown }) => void;
  /** Ends the turn; tool calls still open end as "aborted". */
  readonly onAbort: (event?: unknown) => void;
  /** The session recorded into. */
  get session(): S;
  /** Begin the turn now: call it where the message is sent. */
  beginTurn(): void;
  /** End the turn if it is still open (generate() rejected); idempotent. */
  endTurn(): void;
  /** Mastra's onError: ends the turn (the failed step was recorded by onStepFinish). */
  onError(event?: unknown): void;
}

/** Handlers that record a Mastra agent call into `session`. */
export declare function mastraMetrics<S extends MetricsSession>(session: S, options?: MastraMetricsOptions<S>): MastraHandlers<S>;

// ---- Reporter ----

/** Where the reporter writes: process.stderr, process.stdout, or anything with write(). */
export interface ReporterStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Writes per-turn lines and summaries, dim grey on a terminal unless NO_COLOR is set. */
export declare class ActivityReporter {
  /** @param stream default process.stderr. @param options.color default: `colorEnabled(stream.isTTY)`. */
  constructor(stream?: ReporterStream, options?: { color?: boolean });
  readonly stream: ReporterStream;
  readonly color: boolean;
  /** Writes the open or last turn's line; returns it (without the newline), or null before the first turn. */
  turn(session: MetricsSession): string | null;
  /** Writes the session's one-line summary and returns it (without the newline). */
  summary(session: MetricsSession): string;
}
