package io.sniproxy.config;

/** One problem in a config source, with where it is. Line and column are 1-based; 0 means unknown. */
public record ConfigError(String source, int line, int column, String message) implements Comparable<ConfigError> {

    @Override
    public String toString() {
        if (line <= 0) {
            return source + ": " + message;
        }
        return source + ":" + line + ":" + column + ": " + message;
    }

    @Override
    public int compareTo(ConfigError o) {
        int c = Integer.compare(line, o.line);
        return c != 0 ? c : Integer.compare(column, o.column);
    }
}
