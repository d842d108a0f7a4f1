package io.sniproxy.proxy.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --check FILE} as a CI job runs it: the packaged jar ({@code java -jar quarkus-run.jar
 * --check FILE}) and the launcher ({@code bin/sniproxy --check FILE}, {@code bin/sniproxy check FILE});
 * exit 0 / 1 / 2, problems on stderr as {@code file:line:col: message}, the summary on stdout, and
 * nothing bound: the check runs while the file's own port is taken by this test.
 */
class ConfigCheckIT {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    @Test
    void aValidFileExitsZeroWithASummaryAndBindsNothing() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path file = write("good.yaml", """
                    listeners:
                      - name: https
                        address: 127.0.0.1:%d
                        protocol: tls
                    routes:
                      - hostnames: [api.example.com]
                        backends: [10.0.0.5:8443, 10.0.0.6:8443]
                        balance: leastconn
                    """.formatted(taken.getLocalPort()));

            Run run = jar("--check", file.toString());

            assertThat(run.exit()).as(run.toString()).isZero();
            assertThat(run.out()).startsWith(file + ": valid\n")
                    .contains("  https: tls on 127.0.0.1:" + taken.getLocalPort() + " (tcp)\n")
                    .contains("  api.example.com -> 10.0.0.5:8443, 10.0.0.6:8443, leastconn\n")
                    .contains("limits: maxConnections 50000");
            assertThat(run.err()).isEmpty();
        }
    }

    @Test
    void theSummaryShowsTheLimitsTheFdLimitWouldAllow() throws Exception {
        Path file = write("limits.yaml", """
                listeners:
                  - name: https
                    address: 127.0.0.1:8443
                    protocol: tls
                  - name: h3
                    address: 127.0.0.1:8443
                    protocol: quic
                limits: {maxConnections: 1000, maxUdpSessions: 1000}
                """);
        List<String> check = new ArrayList<>(List.of("prlimit", "--nofile=600:600", "--"));
        check.addAll(command(List.of("--check", file.toString())));

        Run low = run(check, null);
        Run high = run(command(List.of("--check", file.toString())), null);

        assertThat(low.exit()).as(low.toString()).isZero();
        // 600 fds minus the reserve (the JVM's own, jars left out, 2 listeners x one socket per event loop, 96 headroom),
        // shared in proportion by 2 fds per connection and 1 per session: both end well below 1000.
        assertThat(low.out()).containsPattern("fd limit here: RLIMIT_NOFILE 600 would cap them: effective "
                + "maxConnections [1-9][0-9]{0,2}, maxUdpSessions [1-9][0-9]{0,2} \\(2 fds per connection, 1 per QUIC "
                + "session, about [0-9]+ kept for the process\\); raise the limit to at least [0-9]{4}");
        assertThat(high.out()).containsPattern("fd limit here: RLIMIT_NOFILE [0-9]+ allows the configured limits");
    }

    @Test
    void anInvalidFileExitsOneWithEveryProblemAtItsPosition() throws Exception {
        Path file = write("bad.yaml", """
                listeners:
                  - name: https
                    address: 127.0.0.1:8443
                    protocol: htp
                routes:
                  - hostnames: [a.example.com]
                    backend: 10.0.0.1
                    backends: [10.0.0.2]
                timeouts:
                  idel: 5m
                """);

        Run run = jar("--check", file.toString());

        assertThat(run.exit()).as(run.toString()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).containsExactly(
                file + ":4:15: listeners[0].protocol: 'htp' is not one of tls, http, quic, auto; did you mean 'http'?",
                file + ":8:15: routes[0].backends: 'backend' and 'backends' are both given; 'backend: X' is the "
                        + "one-element form of 'backends: [X]', keep one of them",
                file + ":10:3: timeouts: unknown key 'idel'; did you mean 'idle'?",
                file + ": 3 problems; the proxy would refuse this file (at a reload, the running config would stay "
                        + "in force)");
    }

    @Test
    void anUnreadableFileExitsTwo() throws Exception {
        Path missing = dir.resolve("missing.yaml");

        Run run = jar("--check", missing.toString());
        Run directory = jar("--check", dir.toString());
        Run noFile = jar("--check");
        Path latin1 = Files.write(dir.resolve("latin1.yaml"), new byte[] {'#', ' ', (byte) 0xe9, '\n'});
        Run notText = jar("--check", latin1.toString());

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).isEqualTo(missing + ": cannot read: no such file\n");
        assertThat(directory.exit()).isEqualTo(2);
        assertThat(directory.err()).isEqualTo(dir + ": cannot read: it is a directory\n");
        assertThat(noFile.exit()).isEqualTo(2);
        assertThat(noFile.err()).isEqualTo("--check needs a FILE (or '-' for stdin)\n");
        assertThat(notText.exit()).isEqualTo(2);
        assertThat(notText.err()).isEqualTo(latin1 + ": cannot read: the file is not UTF-8 text\n");
    }

    @Test
    void theLauncherPassesBothSpellingsThrough() throws Exception {
        Path good = write("good.yaml", "listeners: [{name: https, address: \"127.0.0.1:8443\", protocol: tls}]\n");
        Path bad = write("bad.yaml", "listeners: [{name: https, address: \"127.0.0.1:8443\", protocol: tls}]\nlimits: 5\n");

        Run dashed = launcher("--check", good.toString());
        Run word = launcher("check", good.toString());
        Run invalid = launcher("check", bad.toString());
        Run missing = launcher("check", dir.resolve("nope.yaml").toString());

        assertThat(dashed.exit()).as(dashed.toString()).isZero();
        assertThat(dashed.out()).startsWith(good + ": valid\n");
        assertThat(word).isEqualTo(dashed);
        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.err()).startsWith(bad + ":2:9: limits: must be a mapping, found '5'\n");
        assertThat(missing.exit()).isEqualTo(2);
    }

    @Test
    void aFileMayComeOnStdin() throws Exception {
        Path good = write("good.yaml", "listeners: [{name: https, address: \"127.0.0.1:8443\", protocol: tls}]\n");

        Run run = run(command(List.of("--check", "-")), good);

        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).startsWith("<stdin>: valid\n");
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    private Run jar(String... args) throws Exception {
        return run(command(List.of(args)), null);
    }

    private static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", ProxyProcess.JAR.toString()));
        cmd.addAll(args);
        return cmd;
    }

    private Run launcher(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProxyProcess.LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, null);
    }

    private Run run(List<String> cmd, Path stdin) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        }
        Process p = pb.start();
        try {
            // A check reads one file: far less than this bound, even on a loaded 2-core machine.
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the check finishes").isTrue();
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
    }
}
