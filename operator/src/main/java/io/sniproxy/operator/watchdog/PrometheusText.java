package io.sniproxy.operator.watchdog;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the few series the watchdog needs from Prometheus text exposition format. Series with labels
 * are summed per name (active connections are per listener). Pure: no I/O.
 */
public final class PrometheusText {

    static final String OPEN_FDS = "process_open_fds";
    static final String MAX_FDS = "process_max_fds";
    static final String ACTIVE = "sniproxy_connections_active";
    static final String POOL_SIZE = "sniproxy_pool_size";
    static final String POOL_ACTIVE = "sniproxy_pool_active_connections";

    private PrometheusText() {
    }

    /** The sample, or why the text does not carry one (shown to users in conditions and events). */
    public static ParseResult parse(String text) {
        Map<String, Double> sums = new HashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int nameEnd = 0;
            while (nameEnd < line.length() && line.charAt(nameEnd) != '{' && line.charAt(nameEnd) != ' ') {
                nameEnd++;
            }
            String name = line.substring(0, nameEnd);
            if (!name.equals(OPEN_FDS) && !name.equals(MAX_FDS) && !name.equals(ACTIVE) && !name.equals(POOL_SIZE)
                    && !name.equals(POOL_ACTIVE)) {
                continue;
            }
            int valueStart = nameEnd;
            if (valueStart < line.length() && line.charAt(valueStart) == '{') {
                int close = line.lastIndexOf('}');
                if (close < 0) {
                    return ParseResult.failed("malformed series line: " + abbreviate(line));
                }
                valueStart = close + 1;
            }
            String[] parts = line.substring(valueStart).strip().split("\\s+");
            try {
                double v = Double.parseDouble(parts[0]);
                sums.merge(name, v, Double::sum);
            } catch (NumberFormatException e) {
                return ParseResult.failed("malformed value in: " + abbreviate(line));
            }
        }
        if (!sums.containsKey(OPEN_FDS) || !sums.containsKey(MAX_FDS)) {
            return ParseResult.failed("the metrics carry no " + OPEN_FDS + "/" + MAX_FDS + " (is this a sniproxy pod?)");
        }
        return new ParseResult(Optional.of(new MetricsSample(sums.get(OPEN_FDS), sums.get(MAX_FDS),
                sums.getOrDefault(ACTIVE, 0.0), sums.getOrDefault(POOL_SIZE, 0.0), sums.getOrDefault(POOL_ACTIVE, 0.0))),
                Optional.empty());
    }

    private static String abbreviate(String line) {
        return line.length() > 120 ? line.substring(0, 120) + "…" : line;
    }

    /** A sample, or the reason there is none. */
    public record ParseResult(Optional<MetricsSample> sample, Optional<String> problem) {
        static ParseResult failed(String problem) {
            return new ParseResult(Optional.empty(), Optional.of(problem));
        }
    }
}
