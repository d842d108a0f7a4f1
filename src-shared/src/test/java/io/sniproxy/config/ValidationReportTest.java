package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A bad file is rejected whole, with every error at once, each as {@code file:line:col: path: message}
 * pointing at the offending value. The sample here is the one shown in docs/configuration.md.
 */
class ValidationReportTest {

    private static final String SOURCE = "/etc/sniproxy/sniproxy.yaml";

    @Test
    void aFileWithTenErrorsGetsTenLinesEachAtItsValue() throws Exception {
        String text = Files.readString(ConfigReaderTest.resource("ten-errors.yaml"), StandardCharsets.UTF_8);

        List<ConfigError> errors = rejected(text);

        assertThat(errors).extracting(ConfigError::line, ConfigError::column).containsExactly(
                org.assertj.core.groups.Tuple.tuple(5, 11),   // second 'https' name
                org.assertj.core.groups.Tuple.tuple(10, 15),  // protocol: htp
                org.assertj.core.groups.Tuple.tuple(12, 14),  // port 70000
                org.assertj.core.groups.Tuple.tuple(17, 17),  // API.example.com claimed twice
                org.assertj.core.groups.Tuple.tuple(19, 17),  // a.*.example.net
                org.assertj.core.groups.Tuple.tuple(22, 14),  // backend is the proxy itself
                org.assertj.core.groups.Tuple.tuple(25, 5),   // proxyprotocol (key position)
                org.assertj.core.groups.Tuple.tuple(27, 3),   // conect
                org.assertj.core.groups.Tuple.tuple(29, 19),  // maxConnections: -1
                org.assertj.core.groups.Tuple.tuple(31, 12)); // connectionPool.enabled: true
        assertThat(errors).allSatisfy(e -> assertThat(e.source()).isEqualTo(SOURCE));
    }

    @Test
    void theTenErrorReportIsExactlyTheOneDocumented() throws Exception {
        String text = Files.readString(ConfigReaderTest.resource("ten-errors.yaml"), StandardCharsets.UTF_8);
        String expected = Files.readString(ConfigReaderTest.resource("ten-errors.expected"), StandardCharsets.UTF_8)
                .strip();

        assertThatThrownBy(() -> ConfigReader.read(SOURCE, text)).hasMessage(expected);

        // The reference shows the same file and the same output; a change to either must update it.
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"), StandardCharsets.UTF_8);
        assertThat(doc).contains(text.strip()).contains(expected);
    }

    @Test
    void everyValidExampleInTheReferenceLoads() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"), StandardCharsets.UTF_8);
        String tenErrors = Files.readString(ConfigReaderTest.resource("ten-errors.yaml"), StandardCharsets.UTF_8).strip();
        java.util.regex.Matcher blocks = java.util.regex.Pattern.compile("```yaml\n(.*?)```", java.util.regex.Pattern.DOTALL)
                .matcher(doc);
        int checked = 0;
        while (blocks.find()) {
            String example = blocks.group(1);
            if (example.strip().equals(tenErrors)) {
                continue;
            }
            ConfigReader.read("docs/configuration.md example " + (checked + 1), example);
            checked++;
        }
        assertThat(checked).as("valid examples found in the reference").isGreaterThanOrEqualTo(2);
    }

    @Test
    void theReadmesConfigExamplesLoad() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        java.util.regex.Matcher blocks = java.util.regex.Pattern.compile("```yaml\n(.*?)```", java.util.regex.Pattern.DOTALL)
                .matcher(readme);
        int checked = 0;
        while (blocks.find()) {
            if (blocks.group(1).contains("listeners:")) {
                ConfigReader.read("README.md example " + (checked + 1), blocks.group(1));
                checked++;
            }
        }
        assertThat(checked).as("config examples found in the README").isPositive();
    }

    @Test
    void shapeAndCrossFieldErrorsAreReportedInTheSameRun() {
        // The listener with a bad protocol is dropped, yet the duplicate-name rule still sees the others.
        List<String> lines = Rejections.of("""
                listeners:
                  - name: a
                    address: 127.0.0.1:1000
                    protocol: tls
                  - name: b
                    address: 127.0.0.1:1001
                    protocol: bogus
                  - name: a
                    address: 127.0.0.1:1002
                    protocol: tls
                """);

        assertThat(lines).containsExactly(
                "test.yaml:7:15: listeners[1].protocol: 'bogus' is not one of tls, http, quic, auto",
                "test.yaml:8:11: listeners[2].name: listener name 'a' is already used by listeners[0]");
    }

    @Test
    void errorsWithoutAPositionSayOnlyTheFile() {
        assertThat(new ConfigError("x.yaml", 0, 0, "file is empty").toString()).isEqualTo("x.yaml: file is empty");
        assertThat(new ConfigError("x.yaml", 3, 7, "p: bad").toString()).isEqualTo("x.yaml:3:7: p: bad");
    }

    @Test
    void theExceptionCarriesTheErrorsAsData() {
        ConfigError a = new ConfigError("f", 1, 1, "one");
        ConfigError b = new ConfigError("f", 2, 1, "two");

        ConfigException e = new ConfigException(List.of(a, b));

        assertThat(e.errors()).containsExactly(a, b);
        assertThat(e.getMessage()).isEqualTo("f:1:1: one\nf:2:1: two");
    }

    private static List<ConfigError> rejected(String text) {
        try {
            ConfigReader.read(SOURCE, text);
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected a rejection");
    }
}
