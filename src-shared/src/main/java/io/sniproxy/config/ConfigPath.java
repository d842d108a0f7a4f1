package io.sniproxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Where in the document a value sits, as segments: {@code routes[2].hostnames[1]} is
 * {@code key(routes) index(2) key(hostnames) index(1)}. The reader turns it into {@code line:col},
 * the operator into a {@code spec.…} field; neither has to take a string apart.
 */
public record ConfigPath(List<Segment> segments) {

    public static final ConfigPath ROOT = new ConfigPath(List.of());

    public ConfigPath {
        segments = List.copyOf(segments);
    }

    /** One step down: a key of a mapping or an index of a list. */
    public sealed interface Segment permits Key, Index {
    }

    public record Key(String name) implements Segment {
    }

    public record Index(int index) implements Segment {
    }

    public ConfigPath key(String name) {
        return then(new Key(name));
    }

    public ConfigPath key(ConfigSchema.Key<?> key) {
        return key(key.name());
    }

    public ConfigPath index(int i) {
        return then(new Index(i));
    }

    private ConfigPath then(Segment s) {
        List<Segment> out = new ArrayList<>(segments.size() + 1);
        out.addAll(segments);
        out.add(s);
        return new ConfigPath(out);
    }

    public boolean isRoot() {
        return segments.isEmpty();
    }

    /** The path without its last segment; the root's parent is the root. */
    public ConfigPath parent() {
        return segments.isEmpty() ? this : new ConfigPath(segments.subList(0, segments.size() - 1));
    }

    /** {@code i} when this path starts with {@code key[i]} ({@code routes[3].backend} under {@code routes}: 3). */
    public OptionalInt indexUnder(ConfigSchema.Key<?> key) {
        if (segments.size() >= 2 && segments.get(0) instanceof Key k && k.name().equals(key.name())
                && segments.get(1) instanceof Index i) {
            return OptionalInt.of(i.index());
        }
        return OptionalInt.empty();
    }

    /** The segments after the first {@code n}. */
    public ConfigPath drop(int n) {
        return new ConfigPath(segments.subList(Math.min(n, segments.size()), segments.size()));
    }

    /** Reads the text form back; the inverse of {@link #toString()}. */
    public static ConfigPath parse(String text) {
        List<Segment> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '.') {
                i++;
            } else if (c == '[') {
                int close = text.indexOf(']', i);
                if (close < 0) {
                    throw new IllegalArgumentException("unclosed '[' in path " + text);
                }
                out.add(new Index(Integer.parseInt(text.substring(i + 1, close))));
                i = close + 1;
            } else {
                int end = i;
                while (end < text.length() && text.charAt(end) != '.' && text.charAt(end) != '[') {
                    end++;
                }
                out.add(new Key(text.substring(i, end)));
                i = end;
            }
        }
        return new ConfigPath(out);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (Segment s : segments) {
            switch (s) {
                case Key k -> out.append(out.isEmpty() ? "" : ".").append(k.name());
                case Index i -> out.append('[').append(i.index()).append(']');
            }
        }
        return out.toString();
    }
}
