package io.sniproxy.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A YAML value that remembers where it was written, so every error can say {@code line:col}. */
public sealed interface YamlNode permits YamlNode.Mapping, YamlNode.Sequence, YamlNode.Scalar {

    int line();

    int column();

    /** A mapping; keys keep their order and their own positions. */
    record Mapping(int line, int column, Map<String, Entry> entries) implements YamlNode {
        public Mapping {
            entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }
    }

    record Entry(String key, int keyLine, int keyColumn, YamlNode value) {
    }

    record Sequence(int line, int column, List<YamlNode> items) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }
    }

    /**
     * A scalar; {@code text} is null for YAML null. {@code kind} is what YAML 1.2 makes of it: a quoted
     * {@code "5"} is a STRING, a plain {@code 5} a NUMBER, only {@code true}/{@code false} are BOOLEAN.
     */
    record Scalar(int line, int column, String text, Kind kind) implements YamlNode {
        public enum Kind { STRING, NUMBER, BOOLEAN, NULL }
    }

    /** What the user wrote, for "found ..." in a message. */
    static String describe(YamlNode node) {
        return switch (node) {
            case Mapping m -> "a mapping";
            case Sequence s -> "a list";
            case Scalar s when s.kind() == Scalar.Kind.NULL -> "nothing (null)";
            case Scalar s -> quote(s.text());
        };
    }

    /** {@code 'text'}, cut short so that a hostile megabyte-long value cannot flood a log line. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder("'");
        int limit = Math.min(text.length(), 80);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (text.length() > limit) {
            out.append("...(").append(text.length()).append(" characters)");
        }
        return out.append('\'').toString();
    }
}
