package io.sniproxy.operator.watchdog;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The last few samples of one pod, oldest first. */
public final class PodWindow {

    private final ArrayDeque<MetricsSample> samples = new ArrayDeque<>();

    public void add(MetricsSample sample, int capacity) {
        samples.addLast(sample);
        while (samples.size() > capacity) {
            samples.removeFirst();
        }
    }

    public List<MetricsSample> samples() {
        return new ArrayList<>(samples);
    }
}
