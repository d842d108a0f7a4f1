package io.sniproxy.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Durations as users write them: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h30m}, or ISO-8601 {@code PT10S}. */
public final class Durations {

    private Durations() {
    }

    /**
     * {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 2d}, compounds from the largest unit
     * down such as {@code 1h30m} or {@code 1m30s}, or ISO-8601 ({@code PT10S}, {@code P1D}). Empty when
     * the text is none of these. Sign and range are the caller's to check.
     */
    public static Optional<Duration> parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 40) {
            return Optional.empty();
        }
        if (text.charAt(0) == 'P' || text.charAt(0) == 'p' || text.charAt(0) == '-') {
            try {
                return Optional.of(Duration.parse(text));
            } catch (DateTimeParseException | ArithmeticException e) {
                return Optional.empty();
            }
        }
        Duration total = Duration.ZERO;
        int previousRank = Integer.MAX_VALUE;
        int i = 0;
        while (i < text.length()) {
            int digits = i;
            while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                i++;
            }
            if (i == digits || i - digits > 12) {
                return Optional.empty();
            }
            long amount = Long.parseLong(text.substring(digits, i));
            int unitStart = i;
            while (i < text.length() && Character.isLetter(text.charAt(i))) {
                i++;
            }
            String unit = text.substring(unitStart, i);
            int rank = rank(unit);
            if (rank < 0 || rank >= previousRank) {
                return Optional.empty(); // unknown unit, or units out of order / repeated ("5s1m", "1s1s")
            }
            previousRank = rank;
            total = total.plus(switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            });
        }
        return Optional.of(total);
    }

    private static int rank(String unit) {
        return switch (unit) {
            case "ms" -> 0;
            case "s" -> 1;
            case "m" -> 2;
            case "h" -> 3;
            case "d" -> 4;
            default -> -1;
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
