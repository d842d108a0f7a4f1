package io.sniproxy.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.crdv2.generator.CRDGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed {@code crds/} must be exactly what the Java types generate (the same Fabric8 generator
 * the SDK runs at build time). To refresh them after changing a type:
 * {@code ./mvnw -pl operator -am test -Dtest=CrdDriftTest -Dsniproxy.crds.update=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class CrdDriftTest {

    static final Path COMMITTED = Path.of("..", "crds");

    @Test
    void committedCrdsMatchWhatTheJavaTypesGenerate(@TempDir Path out) throws IOException {
        new CRDGenerator()
                .customResourceClasses(SniProxy.class, SniRoute.class)
                .forCRDVersions("v1")
                .inOutputDir(out.toFile())
                .generate();
        List<Path> generated;
        try (Stream<Path> files = Files.list(out)) {
            generated = files.sorted().toList();
        }
        assertThat(generated).extracting(p -> p.getFileName().toString())
                .containsExactly("sniproxies.sniproxy.io-v1.yml", "sniroutes.sniproxy.io-v1.yml");
        if (Boolean.getBoolean("sniproxy.crds.update")) {
            Files.createDirectories(COMMITTED);
            for (Path g : generated) {
                Files.copy(g, COMMITTED.resolve(g.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (Path g : generated) {
            Path committed = COMMITTED.resolve(g.getFileName());
            assertThat(committed).as("crds/%s is missing; regenerate with -Dsniproxy.crds.update=true", g.getFileName())
                    .exists();
            assertThat(Files.readString(committed, StandardCharsets.UTF_8))
                    .as("crds/%s differs from what the Java types generate; regenerate with "
                            + "-Dsniproxy.crds.update=true and commit", g.getFileName())
                    .isEqualTo(Files.readString(g, StandardCharsets.UTF_8));
        }
    }

    @Test
    void schemaCarriesTheValidationTheApiServerEnforces() throws IOException {
        String route = Files.readString(COMMITTED.resolve("sniroutes.sniproxy.io-v1.yml"));
        assertThat(route).contains("pattern: \"" + Patterns.HOSTNAME.replace("\\", "\\\\") + "\"")
                .contains("maximum: 65535.0")
                .contains("- \"v2\"")
                .contains("rule: \"(has(self.service) ? 1 : 0) + (has(self.address) ? 1 : 0)")
                .contains("(has(self.addresses) ? 1 : 0) == 1\"")
                .contains("- \"leastconn\"")
                .contains("name: \"Accepted\"")
                .contains("name: \"Hostnames\"")
                .contains("name: \"Backend\"")
                .contains("name: \"Age\"");
        String proxy = Files.readString(COMMITTED.resolve("sniproxies.sniproxy.io-v1.yml"));
        assertThat(proxy).contains("- \"quic\"")
                .contains("trustedProxies:")
                .contains("- \"any\"")
                .contains("newConnectionsPerSecond:")
                .contains("listener names must be unique")
                .doesNotContain("connectionPool")
                .doesNotContain("pool");
    }
}
