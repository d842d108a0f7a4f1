package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.config.ConfigSchema.Key;
import io.sniproxy.config.ConfigSchema.Section;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/configuration.md is held to {@link ConfigSchema}: each section's table has a row for every
 * key, showing its default, its allowed values and its range. A key added to the schema without
 * its documentation, or a changed default, fails here.
 */
class SchemaDocumentationTest {

    static Stream<Section> documentedSections() {
        return ConfigSchema.sections().stream().filter(s -> !s.name().isEmpty());
    }

    @ParameterizedTest
    @MethodSource("documentedSections")
    void everyKeyOfTheSchemaHasARowWithItsDefaultValuesAndRange(Section section) throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"), StandardCharsets.UTF_8);
        String table = sectionText(doc, section);

        for (Key<?> key : section.keys()) {
            Optional<String> row = table.lines().filter(l -> l.startsWith("| `" + key.name() + "` |")).findFirst();
            assertThat(row).as("a row for %s.%s", section.name(), key.name()).isPresent();
            if (key.required()) {
                assertThat(row.get()).as("%s.%s is required", section.name(), key.name()).contains("required");
            }
            written(key.dflt()).ifPresent(d -> assertThat(row.get()).as("default of %s.%s", section.name(), key.name())
                    .contains("`" + d + "`"));
            for (String allowed : key.allowed()) {
                assertThat(row.get()).as("allowed value of %s.%s", section.name(), key.name()).contains("`" + allowed + "`");
            }
            if (key.range() != null) {
                assertThat(row.get()).as("range of %s.%s", section.name(), key.name())
                        .contains(String.format("%,d - %,d", key.range().min(), key.range().max()));
            }
        }
    }

    /** From the section's heading ({@code ### `limits`}) to the next heading. */
    private static String sectionText(String doc, Section section) {
        String name = section.name().endsWith("[]") ? section.name().substring(0, section.name().length() - 2)
                : section.name();
        int start = doc.indexOf("### `" + name + "`");
        assertThat(start).as("a heading for %s", name).isNotNegative();
        int end = doc.indexOf("\n#", start + 1);
        return doc.substring(start, end < 0 ? doc.length() : end);
    }

    /** A default as the file writes it; empty for none, and for lists and sections (no single value). */
    private static Optional<String> written(Object dflt) {
        return switch (dflt) {
            case null -> Optional.empty();
            case Duration d -> Optional.of(Durations.format(d));
            case ConfigEnum e -> Optional.of(e.yamlName());
            case Integer i -> Optional.of(i.toString());
            case Boolean b -> Optional.of(b.toString());
            case List<?> l -> Optional.empty();
            default -> Optional.empty();
        };
    }
}
