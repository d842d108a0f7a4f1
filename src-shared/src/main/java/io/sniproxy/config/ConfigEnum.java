package io.sniproxy.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * An enum whose values are written in the file as their lower-case names ({@code tls}, {@code v2},
 * {@code roundrobin}). The schema derives a key's allowed values from the enum, so a new constant is
 * accepted, written, suggested and documented without touching the reader or the writer.
 */
public interface ConfigEnum {

    String name();

    default String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static <E extends Enum<E> & ConfigEnum> Optional<E> parse(Class<E> type, String text) {
        for (E e : type.getEnumConstants()) {
            if (e.yamlName().equals(text)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    static <E extends Enum<E> & ConfigEnum> List<String> names(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(ConfigEnum::yamlName).toList();
    }
}
