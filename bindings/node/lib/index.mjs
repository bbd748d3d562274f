// ESM entry: the same module as the CommonJS one.
import agentmetrics from "./index.js";

export const {
  AgentMetricsError, Recorder, Session, History, UsageStream, normalizeUsage, formatTokens, formatDurationMs,
  formatDurationNs, formatCost, colorEnabled, bundledPricesInfo, storeCount, version, abiVersion, FORMATS,
  aiSdkMetrics, mastraMetrics, ActivityReporter, MetricsTool, metricsTool, getMetrics, METRICS_TOOL,
} = agentmetrics;
export default agentmetrics;
