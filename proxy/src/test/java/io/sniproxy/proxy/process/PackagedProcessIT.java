package io.sniproxy.proxy.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.TestCerts;
import io.sniproxy.proxy.testing.TlsEchoServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged fast-jar as an operator runs it: started with {@code java -jar … --config FILE} or
 * the launcher {@code bin/sniproxy}, reloaded with SIGHUP, drained with SIGTERM. Runs in failsafe, after {@code package}.
 */
class PackagedProcessIT {

    @TempDir
    Path dir;

    private static String config(int port, String backend, String drain) {
        return """
                listeners:
                  - name: tls
                    address: 127.0.0.1:%d
                    protocol: tls
                routes:
                  - hostnames: [api.example.com]
                    backend: %s
                timeouts:
                  drain: %s
                """.formatted(port, backend, drain);
    }

    @Test
    void sighupAppliesAChangedFileAndABadFileLeavesTheRunningConfigInForce() throws Exception {
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        try (TlsEchoServer blue = new TlsEchoServer("blue"); TlsEchoServer green = new TlsEchoServer("green")) {
            Files.writeString(file, config(port, blue.address(), "5s"));
            // Polling off (an hour), so only the signal can trigger the reload.
            try (ProxyProcess proxy = ProxyProcess.start(file, "-Dsniproxy.reload.poll-millis=3600000")) {
                assertThat(exchange(port, "a")).isEqualTo("blue:a");

                Files.writeString(file, config(port, green.address(), "5s"));
                proxy.signal("HUP");
                await().atMost(Duration.ofSeconds(20)).until(() -> exchange(port, "b").startsWith("green:"));

                Files.writeString(file, "listeners:\n  - name: tls\n    address: nowhere:99999\n    protocol: sctp\n");
                proxy.signal("HUP");
                await().atMost(Duration.ofSeconds(20)).until(() -> proxy.log().contains("config change rejected"));
                assertThat(proxy.log())
                        .contains("sniproxy.yaml:3:14:")
                        .contains("sniproxy.yaml:4:15:")
                        .doesNotContain("\tat io.sniproxy");
                assertThat(exchange(port, "c")).isEqualTo("green:c");
                assertThat(proxy.readyStatus()).isEqualTo(200);
            }
        }
    }

    /**
     * Started under {@code nohup}, a JVM inherits SIGHUP as ignored and cannot install a handler for
     * it: {@code java -jar} says so once at start-up and reloads by polling the file; the launcher
     * resets SIGHUP before it execs the JVM, so {@code kill -HUP} reloads as documented.
     */
    @Test
    void underNohupTheJarWarnsThatSighupCannotReloadAndTheLauncherStillReloadsOnIt() throws Exception {
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        try (TlsEchoServer blue = new TlsEchoServer("blue"); TlsEchoServer green = new TlsEchoServer("green")) {
            Files.writeString(file, config(port, blue.address(), "5s"));
            try (ProxyProcess proxy = ProxyProcess.start(List.of("nohup"), file, 200, "-Dsniproxy.reload.poll-millis=300")) {
                assertThat(proxy.log()).containsOnlyOnce("SIGHUP is ignored by this process")
                        .contains("will not reload " + file).contains("polled every 300 ms");
                Files.writeString(file, config(port, green.address(), "5s"));
                await().atMost(Duration.ofSeconds(20)).until(() -> exchange(port, "a").startsWith("green:"));
            }

            Files.writeString(file, config(port, blue.address(), "5s"));
            try (ProxyProcess proxy = ProxyProcess.launch(List.of("nohup"), file, "-Dsniproxy.reload.poll-millis=3600000")) {
                assertThat(exchange(port, "b")).isEqualTo("blue:b");
                Files.writeString(file, config(port, green.address(), "5s"));
                proxy.signal("HUP");
                await().atMost(Duration.ofSeconds(20)).until(() -> exchange(port, "c").startsWith("green:"));
                assertThat(proxy.log()).contains("SIGHUP: reloading").doesNotContain("SIGHUP is ignored");
            }
        }
    }

    @Test
    void invalidFileAtStartupKeepsTheProcessUnreadyUntilTheFileIsFixed() throws Exception {
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        try (TlsEchoServer blue = new TlsEchoServer("blue")) {
            Files.writeString(file, config(port, blue.address(), "5s") + "connectionPool:\n  enabled: true\n");
            try (ProxyProcess proxy = ProxyProcess.start(file, 503, "-Dsniproxy.reload.poll-millis=200")) {
                assertThat(proxy.get("/q/health/ready").body()).contains("config invalid");
                assertThat(proxy.log()).contains("sniproxy.yaml:11:").contains("nothing to pool");
                assertThatThrownBy(() -> exchange(port, "x")).isInstanceOf(IOException.class);

                Files.writeString(file, config(port, blue.address(), "5s"));
                await().atMost(Duration.ofSeconds(30)).until(() -> proxy.readyStatus() == 200);
                assertThat(exchange(port, "y")).isEqualTo("blue:y");
                // Many probes saw it down, one saw it come up: each change is one line, no line per probe.
                assertThat(proxy.log()).doesNotContain("Reporting health down status")
                        .containsOnlyOnce("readiness DOWN: config invalid").containsOnlyOnce("readiness UP");
            }
        }
    }

    @Test
    void aPortInUseAtStartupExitsNonZeroNamingTheListener() throws Exception {
        Path file = dir.resolve("sniproxy.yaml");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Files.writeString(file, config(taken.getLocalPort(), "127.0.0.1:1", "5s"));
            assertThatThrownBy(() -> ProxyProcess.start(file).close())
                    .hasMessageContaining("exited (code 1)")
                    .hasMessageContaining("cannot bind listener 'tls' on 127.0.0.1:" + taken.getLocalPort())
                    // The refusal itself is one line (a readiness poll racing the exit may log Quarkus internals).
                    .message().doesNotContain("BindException").doesNotContain("\tat io.sniproxy");
        }
    }

    @Test
    void sigtermStopsAcceptingLetsTheOpenConnectionFinishThenExits() throws Exception {
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        try (TlsEchoServer blue = new TlsEchoServer("blue")) {
            Files.writeString(file, config(port, blue.address(), "60s"));
            try (ProxyProcess proxy = ProxyProcess.start(file)) {
                try (SSLSocket open = client(port)) {
                    BufferedReader in = reader(open);
                    say(open, "before");
                    assertThat(in.readLine()).isEqualTo("blue:before");

                    proxy.signal("TERM");
                    await().atMost(Duration.ofSeconds(20)).until(() -> !accepts(port));
                    say(open, "during-drain");
                    assertThat(in.readLine()).isEqualTo("blue:during-drain");
                    assertThat(proxy.alive()).isTrue();
                }
                // The last connection closed: the process exits well before the 60 s bound.
                assertThat(proxy.awaitExit(Duration.ofSeconds(30))).as("exited after the drain").isTrue();
                assertThat(proxy.log()).contains("draining 1 open connection(s)")
                        .doesNotContain("drain bound reached");
            }
        }
    }

    @Test
    void sigtermClosesWhatIsStillOpenWhenTheDrainBoundIsReached() throws Exception {
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        try (TlsEchoServer blue = new TlsEchoServer("blue")) {
            Files.writeString(file, config(port, blue.address(), "1s"));
            try (ProxyProcess proxy = ProxyProcess.start(file); SSLSocket open = client(port)) {
                BufferedReader in = reader(open);
                say(open, "hello");
                assertThat(in.readLine()).isEqualTo("blue:hello");

                proxy.signal("TERM");
                // The proxy closes the connection at the bound: the client reads end-of-stream.
                assertThat(in.readLine()).isNull();
                assertThat(proxy.awaitExit(Duration.ofSeconds(30))).isTrue();
                assertThat(proxy.log()).contains("drain bound reached: closing 1 open connection(s)");
            }
        }
    }

    /**
     * The README's start command, {@code bin/sniproxy --config FILE -Dprop=value}: the launcher
     * execs the JVM (the PID we started is the JVM serving the proxy, so SIGTERM reaches it), a -D
     * after the proxy's arguments still goes to the JVM, and the JVM runs with the settings the
     * benchmarks chose, as the JVM itself reports them.
     */
    @Test
    void theLauncherExecsTheJvmWithTheBenchmarkedSettingsAndServes() throws Exception {
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        try (TlsEchoServer blue = new TlsEchoServer("blue")) {
            Files.writeString(file, config(port, blue.address(), "5s"));
            try (ProxyProcess proxy = ProxyProcess.launch(file, "-Dsniproxy.reload.poll-millis=3600000")) {
                assertThat(exchange(port, "a")).isEqualTo("blue:a");

                Path java = Path.of(System.getProperty("java.home"), "bin", "java").toRealPath();
                assertThat(Path.of("/proc/" + proxy.pid() + "/exe").toRealPath()).as("the started PID is the JVM").isEqualTo(java);
                List<String> flags = List.of(jcmd(proxy.pid(), "VM.flags").split("\\s+"));
                assertThat(flags).contains("-XX:+UseSerialGC", "-XX:NewSize=" + 24 * 1024 * 1024,
                        "-XX:MaxRAMPercentage=50.000000", "-XX:TieredStopAtLevel=1");
                if (Runtime.version().feature() >= 25) {
                    assertThat(flags).contains("-XX:+UseCompactObjectHeaders");
                }
                // Huge pages where the kernel offers them, and not asked for where it does not (the JVM would warn).
                Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
                boolean offered = Files.isReadable(thp) && Files.readString(thp).matches("(?s).*\\[(madvise|always)\\].*");
                if (offered) {
                    assertThat(flags).contains("-XX:+UseTransparentHugePages");
                } else {
                    assertThat(flags).doesNotContain("-XX:+UseTransparentHugePages");
                }
                String properties = jcmd(proxy.pid(), "VM.system_properties");
                assertThat(properties).contains("sniproxy.reload.poll-millis=3600000")
                        .contains("io.netty.allocator.maxCachedBufferCapacity=65536");
                assertThat(proxy.log()).doesNotContain("WARNING");
                // One per core (EventLoops): each loop has its listener's acceptor, so all are running.
                assertThat(eventLoopThreads(proxy.pid())).as("event loops")
                        .isEqualTo(Runtime.getRuntime().availableProcessors());

                proxy.signal("TERM");
                assertThat(proxy.awaitExit(Duration.ofSeconds(30))).as("SIGTERM to the started PID stops the proxy").isTrue();
                assertThat(proxy.log()).contains("stopped");
            }
        }
    }

    /**
     * The event-loop count is the operator's to choose, in the environment too: the launcher's
     * default (one per core, a system property) used to override {@code QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE}.
     */
    @Test
    void anEventLoopCountFromTheEnvironmentIsTheOneRun() throws Exception {
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        try (TlsEchoServer blue = new TlsEchoServer("blue")) {
            Files.writeString(file, config(port, blue.address(), "5s"));
            try (ProxyProcess proxy = ProxyProcess.launch(List.of("env", "QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE=1"), file)) {
                assertThat(exchange(port, "a")).isEqualTo("blue:a");
                assertThat(eventLoopThreads(proxy.pid())).as("event loops").isEqualTo(1);
            }
        }
    }

    /**
     * The build trains an AOT cache on JDK 25+ (src/aot/java) and the launcher starts with it: the
     * proxy's own classes come out of the cache ("shared objects file") instead of being loaded
     * from the jars, and the JVM replays the training run's method profiles. (Before JDK 25 the
     * build writes no cache, and the launcher starts without one.)
     */
    @Test
    void theLauncherStartsFromTheAotCacheTheBuildTrained() throws Exception {
        Path cache = ProxyProcess.JAR.resolveSibling("sniproxy.aot");
        if (Runtime.version().feature() < 25) {
            assertThat(cache).as("no AOT cache with profiles before JDK 25").doesNotExist();
            return;
        }
        assertThat(cache).as("the build's AOT training run wrote the cache").isRegularFile();
        assertThat(cache.resolveSibling("sniproxy.aot.jdk")).hasContent(System.getProperty("java.runtime.version"));
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        Path classes = dir.resolve("class-load.log");
        try (TlsEchoServer blue = new TlsEchoServer("blue")) {
            Files.writeString(file, config(port, blue.address(), "5s"));
            try (ProxyProcess proxy = ProxyProcess.launch(file, "-Xlog:class+load=info:file=" + classes)) {
                assertThat(exchange(port, "a")).isEqualTo("blue:a");
                assertThat(jcmd(proxy.pid(), "VM.flags")).contains("-XX:AOTCache=" + cache, "-XX:+AOTReplayTraining");
                // On the JVM's class path (bin/sniproxy-classpath.jar), not through the fast-jar's
                // class loader: only the JVM's own loaders get the cached classes without reading
                // each one from its jar first.
                assertThat(jcmd(proxy.pid(), "VM.system_properties"))
                        .contains("java.class.path=" + cache.resolveSibling("bin/sniproxy-classpath.jar"));
                assertThat(Files.readString(classes))
                        .contains("io.sniproxy.proxy.app.ProxyMain source: shared objects file")
                        .contains("io.sniproxy.proxy.sniff.ClientHelloParser source: shared objects file");
                assertThat(proxy.log()).doesNotContain("WARNING").doesNotContain("[warning]");
            }
        }
    }

    @Test
    void startedAsJavaDashJarItLoadsTheTrainedPathsClassesBeforeServingSoNoneNeedsItsJarLater() throws Exception {
        Path list = ProxyProcess.JAR.resolveSibling("sniproxy-classes.txt");
        assertThat(list).as("the build's training run lists the classes it loaded").isRegularFile();
        assertThat(Files.readAllLines(list)).hasSizeGreaterThan(1000)
                .contains("io.sniproxy.proxy.tcp.ProxyConnection", "io.netty.bootstrap.FailedChannel");
        int port = ProxyProcess.freePort();
        Path file = dir.resolve("sniproxy.yaml");
        ClassLoadLog classes = new ClassLoadLog(dir.resolve("class-load.log"));
        try (TlsEchoServer blue = new TlsEchoServer("blue")) {
            Files.writeString(file, config(port, blue.address(), "5s"));
            try (ProxyProcess proxy = ProxyProcess.start(file, classes.option())) {
                assertThat(proxy.log()).containsPattern("started from the fast-jar \\(java -jar quarkus-run.jar\\): "
                        + "[0-9]{4,} classes of the paths the build's training run took loaded in [0-9]+ ms");
                long atReady = classes.mark();
                // What the training did (route, pipe, close; a refused name): read from no jar now.
                assertThat(exchange(port, "a")).isEqualTo("blue:a");
                try (SSLSocket refused = client(port)) {
                    SSLParameters p = refused.getSSLParameters();
                    p.setServerNames(List.of(new SNIHostName("unknown.example.com")));
                    refused.setSSLParameters(p);
                    assertThatThrownBy(refused::startHandshake).isInstanceOf(IOException.class);
                }
                assertThat(exchange(port, "b")).isEqualTo("blue:b");
                assertThat(classes.readFromJarsSince(atReady)).as("classes read from a jar after ready").isEmpty();
            }
        }
    }

    private static String jcmd(long pid, String command) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("jcmd %s: %s", command, out).isZero();
        return out;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String exchange(int port, String line) throws IOException {
        try (SSLSocket s = client(port)) {
            say(s, line);
            return reader(s).readLine();
        }
    }

    private static SSLSocket client(int port) throws IOException {
        SSLSocket s = (SSLSocket) TestCerts.clientContext().getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("api.example.com")));
        s.setSSLParameters(p);
        s.setSoTimeout(15_000);
        return s;
    }

    /** The JVM's threads named like Vert.x's event loops ("vert.x-eventloop-thread-N", cut to 15 characters). */
    private static long eventLoopThreads(long pid) throws IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.filter(t -> {
                try {
                    return Files.readString(t.resolve("comm")).startsWith("vert.x-eventloo");
                } catch (IOException gone) {
                    return false; // the thread ended while we looked
                }
            }).count();
        }
    }

    private static void say(SSLSocket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    private static BufferedReader reader(SSLSocket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    }
}
