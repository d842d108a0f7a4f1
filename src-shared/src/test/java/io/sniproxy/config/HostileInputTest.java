package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever the file holds, the reader answers with a config or a {@link ConfigException}: no other
 * exception, no stack trace in the message, every error located inside the text.
 */
class HostileInputTest {

    private static final String VALID = readValid();

    @Property(tries = 1000)
    void mutatedConfigsAreReadOrRejectedCleanly(@ForAll @IntRange(min = 0, max = 2000) int at,
            @ForAll("edits") String edit, @ForAll @IntRange(min = 0, max = 8) int delete) {
        int start = Math.min(at, VALID.length());
        int end = Math.min(start + delete, VALID.length());
        String text = VALID.substring(0, start) + edit + VALID.substring(end);

        assertReadOrRejectedCleanly(text);
    }

    @Property(tries = 500)
    void arbitraryTextIsReadOrRejectedCleanly(@ForAll String text) {
        assertReadOrRejectedCleanly(text);
    }

    @Provide
    Arbitrary<String> edits() {
        Arbitrary<String> yamlish = Arbitraries.of("", ":", " ", "\n", "\t", "-", "- ", "[", "]", "{", "}", "'", "\"",
                "&a ", "*a", "!!str ", "!x ", "#", "|", ">", "? ", "---", "...", "%YAML 1.2\n", "<<: ", "\\", "\u0000",
                "\uFEFF", "é", "\r\n", "~", "null", "true", "1e999", "0x", "[::1]", "*.", "  ");
        return Arbitraries.oneOf(yamlish, Arbitraries.strings().ofMaxLength(6));
    }

    static void assertReadOrRejectedCleanly(String text) {
        try {
            ProxyConfig config = ConfigReader.read("fuzz.yaml", text);
            assertThat(ConfigValidator.validate(config)).as("an accepted config is valid").isEmpty();
        } catch (ConfigException e) {
            long lines = text.lines().count() + 1;
            assertThat(e.errors()).isNotEmpty().allSatisfy(error -> {
                assertThat(error.source()).isEqualTo("fuzz.yaml");
                assertThat(error.line()).isBetween(0, (int) lines + 1);
                assertThat(error.column()).isNotNegative();
                assertThat(error.message()).isNotBlank().doesNotContain("\n").doesNotContain("\tat ")
                        .doesNotContain("Exception");
            });
        }
    }

    @Test
    void aMissingFileIsAnErrorNamingIt(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");

        Assertions.assertThatThrownBy(() -> ConfigReader.read(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessage(missing + ": cannot read: no such file");
    }

    @Test
    void aDirectoryIsAnErrorNotACrash(@TempDir Path dir) {
        Assertions.assertThatThrownBy(() -> ConfigReader.read(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir + ": cannot read: ");
    }

    @Test
    void aFileThatIsNotUtf8IsRejected(@TempDir Path dir) throws IOException {
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, "listeners: [{name: caf\u00e9}]\n".getBytes(StandardCharsets.ISO_8859_1));

        Assertions.assertThatThrownBy(() -> ConfigReader.read(latin1))
                .isInstanceOf(ConfigException.class)
                .hasMessage(latin1 + ": cannot read: the file is not UTF-8 text");
    }

    @Test
    void aFileLargerThanTheCapIsRefusedWithoutReadingIt(@TempDir Path dir) throws IOException {
        Path big = dir.resolve("big.yaml");
        try (var out = Files.newOutputStream(big)) {
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) '#');
            for (int i = 0; i < 5; i++) {
                out.write(chunk);
            }
        }

        Assertions.assertThatThrownBy(() -> ConfigReader.read(big))
                .isInstanceOf(ConfigException.class)
                .hasMessage(big + ": file is larger than 4194304 bytes");
    }

    @Test
    void aFileJustUnderTheCapIsRead(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("padded.yaml");
        String padding = "#".repeat(YamlTreeReader.MAX_DOCUMENT_CHARS - VALID.length() - 1) + "\n";
        Files.writeString(file, VALID + padding, StandardCharsets.UTF_8);

        Assertions.assertThatCode(() -> ConfigReader.read(file)).doesNotThrowAnyException();
    }

    private static String readValid() {
        try {
            return Files.readString(ConfigReaderTest.resource("every-field.yaml"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
