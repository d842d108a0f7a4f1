package io.sniproxy.proxy.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.testing.ProxyHarness;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The container files against what the build really produced: runs after {@code package}, so
 * every path a Dockerfile copies out of {@code target/} must exist (the fast-jar's four parts; with
 * {@code -Dnative}, the runner binary), the build context's {@code .dockerignore} must let those
 * paths through, and the exposed ports must be the ones the built-in config and the management
 * interface use. No container engine is needed for any of it.
 */
class DockerfilesIT {

    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path DOCKER = MODULE.resolve("src/main/docker");
    /** Where Quarkus writes the native executable; failsafe's configuration in proxy/pom.xml says. */
    private static final Path NATIVE_RUNNER = Path.of(Objects.requireNonNull(System.getProperty("native.image.path"),
            "native.image.path is set by failsafe: run this through ./mvnw verify"));
    private static final boolean NATIVE_BUILD = Boolean.getBoolean("quarkus.native.enabled");

    @Test
    @DisabledIfSystemProperty(named = "quarkus.native.enabled", matches = "true",
            disabledReason = "a -Dnative build writes no fast-jar")
    void jvmImageCopiesTheFastJarTheBuildWrote() throws IOException {
        Dockerfile d = Dockerfile.read(DOCKER.resolve("Dockerfile.jvm"));
        List<String> sources = d.copySources();
        assertThat(sources).containsExactly("target/quarkus-app/lib/", "target/quarkus-app/*.jar",
                "target/quarkus-app/app/", "target/quarkus-app/quarkus/", "target/quarkus-app/bin/");
        for (String s : sources) {
            assertThat(matches(s)).as("%s in %s", s, MODULE).isNotEmpty();
        }
        assertThat(matches("target/quarkus-app/*.jar")).extracting(p -> p.getFileName().toString())
                .containsExactly("quarkus-run.jar");
        assertThat(MODULE.resolve("target/quarkus-app/app")).isDirectoryContaining("glob:**/sniproxy-proxy-*.jar");
        // The image starts through the launcher the build put beside the jar (bin/sniproxy).
        assertThat(d.entrypoint()).containsExactly("/deployments/bin/sniproxy");
        // The AOT cache is trained in the image, on its JDK, by the command the build itself runs.
        assertThat(d.instructions()).contains("RUN /deployments/bin/sniproxy train-aot");
        assertThat(MODULE.resolve("target/quarkus-app/bin/sniproxy-training.jar")).isRegularFile();
        assertThat(MODULE.resolve("target/quarkus-app/bin/sniproxy-classpath.jar")).isRegularFile();
        assertThat(MODULE.resolve("target/quarkus-app/bin/sniproxy")).isExecutable()
                .hasSameTextualContentAs(MODULE.resolve("../bin/sniproxy"));
    }

    /**
     * Lays the fast-jar out as Dockerfile.jvm's COPY lines do (modes and times kept, as COPY keeps
     * them), starts the image's ENTRYPOINT with the config named by SNIPROXY_CONFIG (as in the
     * GitOps example), and waits for readiness and one routed request: the image's file layout and
     * launcher start a working proxy.
     */
    @Test
    @DisabledIfSystemProperty(named = "quarkus.native.enabled", matches = "true",
            disabledReason = "a -Dnative build writes no fast-jar")
    void jvmImageLayoutStartsAWorkingProxy(@TempDir Path image) throws Exception {
        Dockerfile d = Dockerfile.read(DOCKER.resolve("Dockerfile.jvm"));
        for (Copy c : d.copies()) {
            Path dest = image.resolve(c.destination().substring(1));
            Files.createDirectories(dest);
            for (Path src : matches(c.source())) {
                if (Files.isDirectory(src)) {
                    copyTree(src, dest);
                } else {
                    Files.copy(src, dest.resolve(src.getFileName().toString()), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        int management = ProxyHarness.freePort();
        Map<String, Integer> ports = new HashMap<>();
        Path config = image.resolve("sniproxy.yaml");
        // The built-in default's routing (Host localhost -> the management interface), on free ports.
        Files.writeString(config, ProxyHarness.substitutePorts("""
                listeners:
                  - name: http
                    address: 127.0.0.1:${port:http}
                    protocol: http
                routes:
                  - hostnames: [localhost]
                    backend: 127.0.0.1:%d
                """.formatted(management), ports));
        List<String> command = new ArrayList<>();
        d.entrypoint().forEach(e -> command.add(image.resolve(e.substring(1)).toString()));
        command.addAll(List.of("-Dquarkus.management.port=" + management, "-Dquarkus.management.host=127.0.0.1"));
        Path log = image.resolve("proxy.log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SNIPROXY_CONFIG", config.toString());
        // The image's JDK is the one on its JAVA_HOME; here, the JDK running this test.
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process proxy = pb.start();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build();
            try {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .failFast("the proxy exited", () -> !proxy.isAlive())
                        .until(() -> http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            } catch (ConditionTimeoutException | TerminalFailureException e) {
                throw new AssertionError(e.getMessage() + "; its output:\n" + Files.readString(log), e);
            }
            HttpResponse<String> routed = http.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + ports.get("http") + "/q/health/live")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(routed.statusCode()).isEqualTo(200);
            assertThat(routed.body()).contains("\"status\": \"UP\"");
            assertThat(Files.readString(log)).contains("config " + config).doesNotContain("WARNING");
        } finally {
            proxy.destroy();
            if (!proxy.waitFor(30, TimeUnit.SECONDS)) {
                proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    @Test
    void nativeImagesCopyTheRunnerTheNativeBuildWrites() throws IOException {
        String glob = Dockerfile.read(DOCKER.resolve("Dockerfile.native")).copySources().getFirst();
        assertThat(glob).isEqualTo("target/*-runner");
        // The glob matches the name Quarkus gives the executable; when this run built it, it is there.
        assertThat(FileSystems.getDefault().getPathMatcher("glob:" + glob).matches(MODULE.relativize(NATIVE_RUNNER)))
                .as("%s matches %s", glob, NATIVE_RUNNER).isTrue();
        if (NATIVE_BUILD) {
            assertThat(matches(glob)).containsExactly(NATIVE_RUNNER);
        }
        // The multi-stage build runs in the repository root: the same path under the module's directory.
        String multi = Dockerfile.read(DOCKER.resolve("Dockerfile.native-multistage")).copySources().getLast();
        assertThat(multi).isEqualTo("/code/" + MODULE.getFileName() + "/" + glob);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.native"})
    void buildContextLetsThroughWhatTheDockerfileCopies(String file) throws IOException {
        List<String> rules = Files.readAllLines(MODULE.resolve(".dockerignore")).stream().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(rules.getFirst()).as("everything else stays out of the context").isEqualTo("*");
        for (String source : Dockerfile.read(DOCKER.resolve(file)).copySources()) {
            boolean through = rules.stream().filter(r -> r.startsWith("!")).map(r -> r.substring(1))
                    .anyMatch(r -> source.startsWith(r) || r.equals(source));
            assertThat(through).as("%s lets %s through", MODULE.resolve(".dockerignore"), source).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.native", "Dockerfile.native-multistage"})
    void exposesTheDefaultListenersAndTheManagementInterfaceAndRunsAsNonRoot(String file) throws Exception {
        Dockerfile d = Dockerfile.read(DOCKER.resolve(file));
        assertThat(d.exposed()).isEqualTo(expectedPorts());
        assertThat(d.lastUser()).isNotIn("", "root", "0");
        // application.properties binds management to loopback; probes come from outside the container.
        assertThat(d.env("QUARKUS_MANAGEMENT_HOST")).isEqualTo("0.0.0.0");
    }

    /**
     * The built-in config's listener ports (tcp, or udp for quic), QUIC's udp beside every TLS port
     * (a client that tried TCP TLS may come back over QUIC on the same port), and the management port.
     */
    private static Set<String> expectedPorts() throws Exception {
        Path classes = MODULE.resolve("target/classes");
        ProxyConfig defaults = ConfigReader.read(classes.resolve("sniproxy-default.yaml"));
        Set<String> ports = new TreeSet<>();
        for (Listener l : defaults.listeners()) {
            int port = l.address().port().orElseThrow();
            ports.add(l.protocol() == Protocol.QUIC ? port + "/udp" : port + "/tcp");
            if (l.protocol() == Protocol.TLS) {
                ports.add(port + "/udp");
            }
        }
        Properties app = new Properties();
        try (InputStream in = Files.newInputStream(classes.resolve("application.properties"))) {
            app.load(in);
        }
        ports.add(app.getProperty("quarkus.management.port") + "/tcp");
        return ports;
    }

    private static List<Path> matches(String glob) throws IOException {
        String pattern = glob.endsWith("/") ? glob.substring(0, glob.length() - 1) : glob;
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        try (Stream<Path> all = Files.walk(MODULE.resolve("target"), 2)) {
            return all.filter(p -> m.matches(MODULE.relativize(p))).toList();
        }
    }

    private record Copy(String source, String destination) {
    }

    /** The few instructions these tests read, with line continuations joined. */
    private record Dockerfile(List<String> instructions) {

        static Dockerfile read(Path file) throws IOException {
            List<String> out = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : Files.readAllLines(file)) {
                String t = line.strip();
                if (current.isEmpty() && (t.isEmpty() || t.startsWith("#"))) {
                    continue;
                }
                if (t.endsWith("\\")) {
                    current.append(t, 0, t.length() - 1).append(' ');
                } else {
                    out.add(current.append(t).toString());
                    current.setLength(0);
                }
            }
            return new Dockerfile(out);
        }

        private Stream<List<String>> words(String keyword) {
            return instructions.stream().map(i -> Arrays.asList(i.split("\\s+")))
                    .filter(w -> w.getFirst().equalsIgnoreCase(keyword));
        }

        /** Every COPY (flags dropped) as source and destination. */
        List<Copy> copies() {
            return words("COPY").map(w -> w.stream().skip(1).filter(a -> !a.startsWith("--")).toList())
                    .map(args -> new Copy(args.get(args.size() - 2), args.getLast())).toList();
        }

        List<String> copySources() {
            return copies().stream().map(Copy::source).toList();
        }

        Set<String> exposed() {
            Set<String> ports = new TreeSet<>();
            words("EXPOSE").forEach(w -> w.stream().skip(1).forEach(p -> ports.add(p.contains("/") ? p : p + "/tcp")));
            return ports;
        }

        String env(String name) {
            return instructions.stream().filter(i -> i.startsWith("ENV " + name + "="))
                    .map(i -> i.substring(("ENV " + name + "=").length()).replace("\"", "")).reduce((a, b) -> b)
                    .orElse("");
        }

        /** The exec form's words ({@code ENTRYPOINT [ "a", "b" ]}). */
        List<String> entrypoint() {
            return instructions.stream().filter(i -> i.startsWith("ENTRYPOINT ")).reduce((a, b) -> b)
                    .map(i -> i.substring("ENTRYPOINT ".length()).strip().replaceAll("^\\[|]$", ""))
                    .map(json -> Arrays.stream(json.split(",")).map(w -> w.strip().replace("\"", "")).toList())
                    .orElse(List.of());
        }

        String lastUser() {
            return words("USER").map(w -> w.get(1)).reduce((a, b) -> b).orElse("");
        }
    }
}
