package io.sniproxy.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped Prometheus rules are valid and fire as their unit tests say (the seed's leak
 * signature, high water, exhaustion, pooling), checked by Prometheus' own {@code promtool}.
 * {@code .ci/run} installs it (Debian package {@code prometheus}).
 */
class AlertRulesTest {

    private static final Path ALERTS = Path.of("..", "docs", "alerts").toAbsolutePath().normalize();

    @Test
    void rulesPassPromtoolCheck() throws Exception {
        assertThat(promtool("check", "rules", "sniproxy-fd.rules.yaml")).contains("SUCCESS");
    }

    @Test
    void rulesPassTheirPromtoolUnitTests() throws Exception {
        assertThat(promtool("test", "rules", "sniproxy-fd.rules.test.yaml")).contains("SUCCESS");
    }

    private static String promtool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(ALERTS.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool not found: install it (apt-get install prometheus); .ci/run does", e);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
