package io.sniproxy.operator.watchdog;

import java.util.ArrayList;
import java.util.List;

/**
 * Judges one pod's window. The leak rule is the seed incident's signature: open fds rise at every
 * sample across a full window, by more than the new connections explain (two fds each: client and
 * backend), while connections stay flat.
 */
public final class FdAssessment {

    /** A proxied connection holds two sockets. */
    static final int FDS_PER_CONNECTION = 2;

    private FdAssessment() {
    }

    public static List<PodFinding> assess(String pod, List<MetricsSample> window, FdThresholds t) {
        List<PodFinding> findings = new ArrayList<>();
        if (window.isEmpty()) {
            return findings;
        }
        MetricsSample last = window.get(window.size() - 1);
        if (last.pooling()) {
            findings.add(new PodFinding(pod, PodFinding.Kind.POOLING_ACTIVE, "pod " + pod + " reports sniproxy_pool_size="
                    + fmt(last.poolSize()) + ", sniproxy_pool_active_connections=" + fmt(last.poolActive())
                    + "; pooling must stay off (it is what ran the seed out of file descriptors)", 1));
        }
        if (last.maxFds() > 0 && last.fdRatio() >= t.highWaterRatio()) {
            findings.add(new PodFinding(pod, PodFinding.Kind.FD_HIGH_WATER, "pod " + pod + " has " + fmt(last.openFds())
                    + " of " + fmt(last.maxFds()) + " file descriptors open (" + pct(last.fdRatio())
                    + ", threshold " + pct(t.highWaterRatio()) + ")", 1 + last.fdRatio()));
        }
        if (window.size() >= t.windowSamples()) {
            MetricsSample first = window.get(0);
            boolean rising = true;
            for (int i = 1; i < window.size(); i++) {
                if (window.get(i).openFds() <= window.get(i - 1).openFds()) {
                    rising = false;
                    break;
                }
            }
            double growth = last.openFds() - first.openFds();
            double explained = FDS_PER_CONNECTION * Math.max(0, last.activeConnections() - first.activeConnections());
            if (rising && growth - explained >= t.leakGrowthFds()) {
                findings.add(new PodFinding(pod, PodFinding.Kind.FD_LEAK, "pod " + pod + ": open fds rose from "
                        + fmt(first.openFds()) + " to " + fmt(last.openFds()) + " over " + window.size()
                        + " samples while active connections went from " + fmt(first.activeConnections()) + " to "
                        + fmt(last.activeConnections()) + " (a leak: sockets not given back)", 1 + last.fdRatio()
                        + growth / Math.max(1, last.maxFds())));
            }
        }
        return findings;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static String pct(double ratio) {
        return Math.round(ratio * 100) + "%";
    }
}
