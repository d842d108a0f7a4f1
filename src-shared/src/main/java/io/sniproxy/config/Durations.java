package io.sniproxy.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Durations as users write them: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, or ISO-8601 {@code PT10S}. */
public final class Durations {

    private Durations() {
    }

    public static Optional<Duration> parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 40) {
            return Optional.empty();
        }
        if (text.charAt(0) == 'P' || text.charAt(0) == 'p') {
            try {
                return Optional.of(Duration.parse(text));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        int i = 0;
        while (i < text.length() && Character.isDigit(text.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 12) {
            return Optional.empty();
        }
        long amount = Long.parseLong(text.substring(0, i));
        return switch (text.substring(i)) {
            case "ms" -> Optional.of(Duration.ofMillis(amount));
            case "s" -> Optional.of(Duration.ofSeconds(amount));
            case "m" -> Optional.of(Duration.ofMinutes(amount));
            case "h" -> Optional.of(Duration.ofHours(amount));
            case "d" -> Optional.of(Duration.ofDays(amount));
            default -> Optional.empty();
        };
    }

    /** The shortest exact {@code 10s}-style form, so written files read back to equal values. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000L == 0 && ms != 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0 && ms != 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0 && ms != 0) {
            return ms / 60_000L + "m";
        }
        if (ms % 1000L == 0) {
            return ms / 1000L + "s";
        }
        return ms + "ms";
    }
}
