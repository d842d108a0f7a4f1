package io.sniproxy.operator.watchdog;

import io.sniproxy.operator.api.WatchdogSpec;

/** A SniProxy's watchdog settings with their defaults filled in. */
public record FdThresholds(boolean enabled, double highWaterRatio, int windowSamples, int leakGrowthFds,
        boolean restartLeakingPods) {

    public static final FdThresholds DEFAULTS = new FdThresholds(true, 0.8, 6, 64, false);

    public static FdThresholds of(WatchdogSpec w) {
        if (w == null) {
            return DEFAULTS;
        }
        return new FdThresholds(
                w.enabled == null ? DEFAULTS.enabled : w.enabled,
                w.fdHighWaterRatio == null ? DEFAULTS.highWaterRatio : w.fdHighWaterRatio,
                w.windowSamples == null ? DEFAULTS.windowSamples : Math.max(3, w.windowSamples),
                w.leakGrowthFds == null ? DEFAULTS.leakGrowthFds : Math.max(1, w.leakGrowthFds),
                w.restartLeakingPods != null && w.restartLeakingPods);
    }
}
