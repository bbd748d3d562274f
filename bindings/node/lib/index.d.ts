// Type declarations of the agentmetrics Node package (bindings/node/lib/index.js).
export * from "./integrations";
// Missing values are null, never 0. Exact money is a decimal string of USD ("0.0055").
// Monotonic instants are bigint nanoseconds on the recorder's clock; durations are milliseconds.

/** Usage payload formats the native normalisers understand. */
export type UsageFormat =
  | "openai_chat" | "openai_responses" | "anthropic" | "google_genai" | "bedrock"
  | "ai_sdk_v4" | "ai_sdk_v5" | "ai_sdk_v6" | "mastra";
export type DurationKind = "model_call" | "tool_call" | "turn" | "ttft";
export type Dimension = "model" | "provider" | "source" | "tool" | "agent" | "phase" | "task" | "session";
export type Period = "all" | "hour" | "day" | "week" | "month";
export type FlushPolicy = "none" | "interval" | "every_record";
export type RecordKind = "session" | "model_call" | "tool_call" | "turn" | "invocation";
export type Notice = "ok" | "budget_exceeded" | "budget_warning";

/** Any failure of the core other than a bad argument (those throw TypeError or RangeError). */
export class AgentMetricsError extends Error {
  /** The C status name, e.g. "AGM_E_STATE", "AGM_E_NOT_FOUND", "AGM_E_IO". */
  status: string;
}

/** Canonical usage of one model call; the input kinds are disjoint, output includes reasoning. */
export interface Usage {
  inputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  cacheWrite1hTokens: number | null;
  outputTokens: number | null;
  reasoningTokens: number | null;
  /** Derived by the core: input + cache read + cache write + output, when input and output are known. */
  totalTokens: number | null;
}
export type UsageInput = Partial<Omit<Usage, "totalTokens">>;

/** Cost by line item, exact decimal strings of USD; the items sum to `total`. */
export interface CostItems {
  input: string;
  cacheRead: string;
  cacheWrite5m: string;
  cacheWrite1h: string;
  output: string;
  reasoning: string;
  total: string;
}

export interface Totals extends Usage {
  modelCalls: number;
  callsWithUsage: number;
  /** Calls recorded without usage: never counted as zero tokens. */
  callsMissingUsage: number;
  /** Calls with usage but no price for the model. */
  callsUnpriced: number;
  modelErrors: number;
  retries: number;
  toolCalls: number;
  toolErrors: number;
  turns: number;
  /** Calls whose model or tool name went to the "(other)" group of breakdowns, past the cap
   *  on distinct names (README "Limits on labels and names"); still in every total. */
  foldedCalls: number;
  toolSuccessRate: number | null;
  modelSuccessRate: number | null;
  /** null when no call was priced. */
  cost: CostItems | null;
  saturated: boolean;
}

/** Percentiles are within 1/128 of the exact order statistic. */
export interface DurationStats {
  count: number;
  sumMs: number;
  minMs: number | null;
  maxMs: number | null;
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface TurnStats {
  index: number;
  startNs: bigint;
  endNs: bigint | null;
  durationMs: number;
  /** Time covered by at least one tool call. */
  toolWallMs: number;
  /** Sum of tool call durations (more than toolWallMs when calls overlapped). */
  toolWorkMs: number;
  modelCalls: number;
  toolCalls: number;
  startWallNs: bigint;
}

export interface Group {
  totals: Totals;
  durations: Partial<Record<DurationKind, DurationStats>>;
  lastError: string | null;
}

export interface BudgetEvent {
  kind: "limit" | "warn";
  measure: "tokens" | "cost";
  sessionId: string | null;
  model: string | null;
  tokens: number;
  maxTokens: number | null;
  cost: string;
  maxCost: string | null;
}

export interface Timing {
  durationMs?: number | null;
  /** On the recorder's clock (see nowNs). */
  startNs?: bigint | number | null;
  endNs?: bigint | number | null;
  /** Batch mode: the duration runs from the previous step finish. */
  sinceLastStep?: boolean;
}

export interface ModelCall extends Timing {
  model?: string | null;
  /** Canonical counts, or with usageFormat the SDK's own usage object (or its JSON). */
  usage?: UsageInput | object | string | null;
  usageFormat?: UsageFormat | null;
  /** AI SDK / Mastra model.provider, e.g. "anthropic.messages" (needed for v4, v5 and Mastra v2). */
  usageProvider?: string | null;
  /** Mastra model.version: "v2" or "v3". */
  modelVersion?: string | null;
  /** Anthropic stream event the usage came from ("message_start" is preliminary). */
  streamEvent?: string | null;
  /** An ADK partial response: usage missing. */
  partial?: boolean;
  provider?: string | null;
  /** "agent" (default) or "tool:NAME" for an LLM call made inside a tool. */
  source?: string | null;
  stopReason?: string | null;
  /** A short error class: the call failed. */
  error?: string | null;
  ttftMs?: number | null;
  /** 1 for a first try; more counts as a retry. */
  attempt?: number | null;
}

export interface ToolCall extends Timing {
  error?: string | null;
  errorMessage?: string | null;
  inputBytes?: number | null;
  outputBytes?: number | null;
}

export interface ToolEnd {
  name?: string | null;
  endNs?: bigint | number | null;
  error?: string | null;
  errorMessage?: string | null;
  inputBytes?: number | null;
  outputBytes?: number | null;
}

export interface SessionOptions {
  sessionId?: string;
  agent?: string;
  phase?: string;
  task?: string;
  tags?: Record<string, string>;
}

export interface BudgetOptions {
  maxTokens?: number;
  /** Exact decimal string of USD. */
  maxCost?: string;
  model?: string;
  /** Notice once (budget_warning) instead of budget_exceeded on every later record. */
  warn?: boolean;
  callback?: (event: BudgetEvent) => void;
}

/** A scope of cumulative totals: one conversation, plan/build iteration or task. */
export class Session {
  constructor(recorder: Recorder, options?: SessionOptions);
  readonly sessionId: string;
  readonly labels: Record<string, string>;
  readonly startedWallNs: bigint;
  readonly closed: boolean;
  label(key: string): string | null;
  /** Now on the recorder's monotonic clock: the time base of startNs, endNs and atNs. */
  nowNs(): bigint;
  recordModelCall(call: ModelCall): Notice;
  recordToolCall(name: string, call?: ToolCall): void;
  toolStart(name: string, callId: string, options?: { atNs?: bigint | number | null }): void;
  toolEnd(callId: string, result?: ToolEnd): void;
  /** Time `fn` as a tool call; a throw records an error and propagates. */
  toolCall<T>(name: string, fn: () => T | Promise<T>, callId?: string): Promise<T>;
  turnBegin(options?: { atNs?: bigint | number | null }): void;
  turnEnd(options?: { atNs?: bigint | number | null }): void;
  /** Run `fn` inside a turn that ends when it settles. */
  turn<T>(fn: (session: Session) => T | Promise<T>): Promise<T>;
  turnStats(): TurnStats | null;
  turnTotals(): Totals | null;
  totals(): Totals;
  durations(kind?: DurationKind): DurationStats;
  breakdown(by?: Dimension): Record<string, Group>;
  addBudget(options: BudgetOptions): void;
  /** The per-turn line; null before the first turn. */
  formatTurn(options?: { color?: boolean }): string | null;
  formatSummary(options?: { color?: boolean }): string;
  close(): void;
  [Symbol.dispose](): void;
}

export interface QueryOptions {
  period?: Period;
  /** A wall-clock range in ns since the epoch, instead of a period. */
  sinceNs?: bigint | number;
  untilNs?: bigint | number;
  nowNs?: bigint | number;
  limit?: number;
}

/** The core's JSON documents (README, "History queries"); costs are numbers here. */
export type Doc = Record<string, any>;

export interface Queries {
  summary(options?: QueryOptions): Doc;
  costs(options?: QueryOptions & { by?: Dimension | "day" }): Doc;
  tools(options?: QueryOptions & { tool?: string }): Doc;
  slow(options?: QueryOptions & { thresholdMs?: number }): Doc;
  errors(options?: QueryOptions): Doc;
  expensiveSessions(options?: QueryOptions): Doc;
  session(sessionId: string, options?: QueryOptions): Doc;
  invocations(options?: QueryOptions & { tiers?: string[]; bucketMs?: number }): Doc;
  /** The same queries, run off the event loop. */
  async: AsyncQueries;
}
export type AsyncQueries = { [K in Exclude<keyof Queries, "async">]: (...args: Parameters<Queries[K]>) => Promise<Doc> };

/** Queries over a journal file, a folder of journals or a SQLite database. */
export type ExportFormat = "otlp-json" | "prometheus" | "csv" | "json";

export interface ExportOptions extends QueryOptions {
  /** Write the export to this file (atomically) instead of returning it. */
  file?: string;
  /** OTLP resource attributes beyond service.name="agentmetrics". */
  resource?: Record<string, string> | string;
}

export interface ReportOptions extends QueryOptions {
  title?: string;
  /** Write the page to this file (atomically) instead of returning it. */
  file?: string;
}

export interface PushOptions extends QueryOptions {
  /** Extra request headers, e.g. { authorization: "Bearer …" }. */
  headers?: Record<string, string> | string;
  resource?: Record<string, string> | string;
  /** Bounds each attempt (default 10,000). */
  timeoutMs?: number;
  /** Attempts in all when the receiver is unreachable or answers 429, 502, 503 or 504 (default 5; 1: no retry). */
  maxAttempts?: number;
  /** Wait before the first retry, doubled for each next one, or the receiver's Retry-After (default 1,000). */
  retryDelayMs?: number;
}

/** An export row (README, "Exports"): null for what was not reported. */
export type Row = Record<string, string | number | null>;

export class Follow {
  constructor(path: string, options?: { fromStart?: boolean });
  poll(): Row[];
  /** Journal lines and database rows the polls so far skipped as malformed. */
  readonly malformed: number;
  readonly closed: boolean;
  close(): void;
  [Symbol.dispose](): void;
}

export class History implements Queries {
  constructor(path: string);
  readonly path: string;
  export(format?: ExportFormat, options?: ExportOptions & { file?: undefined }): string;
  export(format: ExportFormat, options: ExportOptions & { file: string }): undefined;
  reportHtml(options?: ReportOptions & { file?: undefined }): string;
  reportHtml(options: ReportOptions & { file: string }): undefined;
  pushOtlp(endpoint: string, options?: PushOptions): Promise<Record<string, unknown>>;
  follow(options?: { fromStart?: boolean }): Follow;
  summary: Queries["summary"];
  costs: Queries["costs"];
  tools: Queries["tools"];
  slow: Queries["slow"];
  errors: Queries["errors"];
  expensiveSessions: Queries["expensiveSessions"];
  session: Queries["session"];
  invocations: Queries["invocations"];
  async: AsyncQueries & {
    export(format?: ExportFormat, options?: ExportOptions): Promise<string | undefined>;
    reportHtml(options?: ReportOptions): Promise<string | undefined>;
  };
  warnings(): Doc;
  readonly closed: boolean;
  close(): void;
  [Symbol.dispose](): void;
}

export interface LoadReport {
  files: number;
  lines: number;
  records: number;
  skipped: number;
  malformed: number;
  firstMalformedLine: number | null;
  warnings: { file: string; line: number; reason: string }[];
  /** Records the store's writers dropped, their queue full (its "dropped" markers). */
  dropped: number;
}

export interface StoreStatus {
  queued: number;
  written: number;
  failed: number;
  writeErrors: number;
  lastError: string | null;
  /** Records not queued because the queue was at its bound (maxQueueBytes); not in queued or failed. */
  dropped: number;
  /** Bytes of the records queued and not yet stored. */
  queuedBytes: number;
  /** The queue's bound in effect. */
  maxQueueBytes: number;
}

export interface StoreOptions {
  /** A JSONL file to append to. */
  journal?: string;
  /** Or a folder where this recorder creates a journal file of its own. */
  journalDir?: string;
  /** A SQLite database. */
  database?: string;
  flush?: FlushPolicy;
  flushIntervalMs?: number;
  /**
   * Bound of the queue of records waiting for the store's writer thread, in bytes (0 or
   * absent: 64 MiB). Recording never waits for the store: when it stalls, records beyond the
   * bound are dropped (kept in the totals), counted in storeStatus().dropped, reported to
   * onDrop, and the next flush() throws an AgentMetricsError with status "AGM_E_DROPPED".
   */
  maxQueueBytes?: number;
  /** Called on the recording call that drops a record after one was queued (once per overflow). */
  onDrop?: (droppedSoFar: number, queuedBytes: number) => void;
}

export interface RecorderOptions {
  /** Monotonic clock, ns (default: CLOCK_MONOTONIC, as process.hrtime.bigint()). */
  clock?: () => bigint | number;
  /** Wall clock, ns since the epoch. */
  wallClock?: () => bigint | number;
  bundledPrices?: boolean;
}

/** Owns prices, clocks, totals and the store. */
export class Recorder {
  constructor(options?: RecorderOptions);
  /** History queries over this recorder's own store (flushed first). */
  readonly history: Queries;
  readonly closed: boolean;
  readonly journalPath: string | null;
  nowNs(): bigint;
  session(options?: SessionOptions): Session;
  loadPrices(table: string | object, options?: { replace?: boolean }): void;
  loadPricesFile(path: string, options?: { replace?: boolean }): void;
  setPrice(model: string, entry: string | object): void;
  price(model: string, provider?: string): Record<string, unknown> | null;
  prices(filter?: string): Record<string, unknown>[];
  cost(model: string | null, usage: UsageInput | object | string, options?: { provider?: string; usageFormat?: UsageFormat }): CostItems | null;
  totals(): Totals;
  durations(kind?: DurationKind): DurationStats;
  breakdown(by?: Dimension): Record<string, Group>;
  openStore(options: StoreOptions): void;
  flush(): void;
  flushAsync(): Promise<void>;
  closeStore(): void;
  storeStatus(): StoreStatus;
  onRecord(callback: ((kind: RecordKind, record: Doc) => void) | null, kinds?: RecordKind[]): void;
  load(path: string, options?: { skip?: number; limit?: number }): LoadReport;
  loadAsync(path: string, options?: { skip?: number; limit?: number }): Promise<LoadReport>;
  /** Seed 004's InvocationMetric, with its camelCase (or snake_case) names. */
  recordInvocation(invocation: Record<string, unknown>): void;
  invocationCount(): number;
  invocations(options?: { skip?: number; limit?: number }): Doc[];
  invocationAggregate(options?: { tiers?: string[]; bucketMs?: number }): Doc;
  close(): void;
  [Symbol.dispose](): void;
}

/** Merges a streamed response's usage event by event, by the provider's rule. */
export class UsageStream {
  constructor(format: UsageFormat, options?: { provider?: string; modelVersion?: string });
  add(event: object | string): void;
  result(): Usage;
}

export function normalizeUsage(payload: unknown, format: UsageFormat,
  context?: { provider?: string; modelVersion?: string; streamEvent?: string; partial?: boolean }): Usage;
export function formatTokens(tokens: number): string;
export function formatDurationMs(durationMs: number): string;
export function formatDurationNs(durationNs: bigint | number): string;
export function formatCost(amount: string): string;
export function colorEnabled(isTTY: boolean | undefined): boolean;
export function bundledPricesInfo(): { source: string; litellm_version: string; generated: string; models: number };
export function storeCount(path: string): number;
export const version: string;
export const abiVersion: number;
export const FORMATS: UsageFormat[];

// ---- The get_metrics agent tool (seed 001; the core's agm_metrics_tool_*) ----

export type MetricsToolAction = "summary" | "costs" | "tools" | "session" | "slow" | "errors";

/** The arguments a model sends (JSON schema: METRICS_TOOL.parameters); null means absent. */
export interface MetricsToolArgs {
  action: MetricsToolAction;
  /** Time window ending now (default "all"). */
  period?: "hour" | "day" | "week" | "month" | "all" | null;
  /** costs: how to group (default "model"). */
  group_by?: "model" | "provider" | "agent" | "phase" | "task" | "session" | "day" | null;
  /** tools: one tool only. */
  tool_name?: string | null;
  /** session: the session (default: the current one). */
  session_id?: string | null;
  /** slow: operations at least this long (default 5000; 0: all). */
  threshold_ms?: number | null;
  /** List length, 1 to 100 (default 10). */
  limit?: number | null;
}

export interface MetricsToolOptions {
  /** The current session: "session" without session_id reports it live (no store needed). */
  session?: Session | null;
  /** The end of "period", wall clock ns (default now: the recorder's wall clock for a Recorder). */
  nowNs?: bigint | number | null;
}

/** The result document ({ action, period, ...the query's members }), or { action, error }. */
export type MetricsToolResult = Doc & { action: string | null; period?: string; error?: string };

export interface JsonSchemaObject {
  type: "object";
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: boolean;
}

/** The tool's definition, from the core. */
export const METRICS_TOOL: {
  readonly name: "get_metrics";
  readonly description: string;
  readonly parameters: JsonSchemaObject;
  readonly actions: readonly MetricsToolAction[];
};

/** get_metrics over a recorder's open store, a History or a store path. */
export class MetricsTool {
  constructor(source: Recorder | History | string, options?: MetricsToolOptions);
  readonly name: "get_metrics";
  readonly description: string;
  readonly parameters: JsonSchemaObject;
  /** For OpenAI chat completions `tools: [...]`. */
  readonly openaiTool: { type: "function"; function: { name: string; description: string; parameters: JsonSchemaObject } };
  /** For Anthropic messages `tools: [...]`. */
  readonly anthropicTool: { name: string; description: string; input_schema: JsonSchemaObject };
  /** For the AI SDK's (and Mastra agents') `tools: { get_metrics: ... }`: pass `jsonSchema` from "ai". */
  aiSdkTool<S>(jsonSchema: (schema: JsonSchemaObject) => S): {
    description: string;
    inputSchema: S;
    execute: (args: MetricsToolArgs) => Promise<MetricsToolResult>;
  };
  /** Run one action; bad arguments come back as { action, error }, never thrown. */
  call(args: MetricsToolArgs | string, options?: MetricsToolOptions): MetricsToolResult;
}

export function metricsTool(source: Recorder | History | string, options?: MetricsToolOptions): MetricsTool;
export function getMetrics(source: Recorder | History | string, args: MetricsToolArgs | string,
  options?: MetricsToolOptions): MetricsToolResult;
