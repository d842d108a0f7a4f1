package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.List;

/** Reads text that must be rejected and returns its error lines, as the proxy would log them. */
final class Rejections {

    static final String SOURCE = "test.yaml";

    private Rejections() {
    }

    static List<String> of(String yaml) {
        try {
            ProxyConfig accepted = ConfigReader.read(SOURCE, yaml);
            return fail("expected the config to be rejected, but it was read as " + accepted);
        } catch (ConfigException e) {
            List<String> lines = e.errors().stream().map(ConfigError::toString).toList();
            assertThat(lines).as("a rejection carries at least one error").isNotEmpty();
            assertThat(e.getMessage()).as("the message is every error, one per line").isEqualTo(String.join("\n", lines));
            assertThat(e.errors()).as("errors come in file order").isSorted();
            return lines;
        }
    }

    /** The one error of a file expected to have exactly one. */
    static String single(String yaml) {
        List<String> lines = of(yaml);
        assertThat(lines).as("errors").hasSize(1);
        return lines.get(0);
    }
}
