package io.sniproxy.operator.watchdog;

/** Something wrong with one pod; {@code severity} orders pods for the restart rule (worst first). */
public record PodFinding(String pod, Kind kind, String message, double severity) {

    public enum Kind {
        FD_HIGH_WATER("FdHighWater", "fd_high_water"),
        FD_LEAK("FdLeakSuspected", "fd_leak"),
        POOLING_ACTIVE("PoolingActive", "pooling_active"),
        UNREACHABLE("MetricsUnreachable", "unreachable");

        public final String reason;
        public final String metricTag;

        Kind(String reason, String metricTag) {
            this.reason = reason;
            this.metricTag = metricTag;
        }

        public boolean isFdProblem() {
            return this == FD_HIGH_WATER || this == FD_LEAK;
        }
    }
}
