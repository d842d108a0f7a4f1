package io.sniproxy.config;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean": the allowed key closest to a misspelt one, when it is close enough to be a typo. */
final class Suggestions {

    private Suggestions() {
    }

    static Optional<String> closest(String typed, Collection<String> allowed) {
        String t = typed.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : allowed.stream().sorted().toList()) {
            int d = distance(t, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        // A third of the word may be wrong: catches "listner", "idel", "max_connections", "htp", "TLS";
        // but not "v3" for "v1", where a guess would be noise.
        int tolerance = Math.max(t.length(), best == null ? 0 : best.length()) / 3;
        if (best != null && bestDistance <= tolerance) {
            return Optional.of(best);
        }
        // A shortened key ("allowPrivate", "udp"): suggest the one allowed key it begins.
        List<String> extended = allowed.stream()
                .filter(a -> t.length() >= 3 && a.toLowerCase(Locale.ROOT).startsWith(t))
                .toList();
        return extended.size() == 1 ? Optional.of(extended.get(0)) : Optional.empty();
    }

    /** Optimal string alignment distance: edits, with a swap of two neighbours counted as one. */
    static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 16) {
            return Integer.MAX_VALUE; // far apart; also keeps a hostile 1 MB key from costing a quadratic table
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
