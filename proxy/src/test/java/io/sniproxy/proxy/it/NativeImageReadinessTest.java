package io.sniproxy.proxy.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.app.ProxyMain;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a native build needs that the JVM build does not check, checked without GraalVM: Quarkus
 * initialises every application class at image build time, so a static field holding a socket, a
 * random source, a cipher or the OS MXBean would be frozen into the image (or fail the build);
 * each such class must be listed for run-time initialisation. And only resources named in
 * {@code quarkus.native.resources.includes} are in the image.
 */
class NativeImageReadinessTest {

    /** Things that belong to the running process and must never be created while building the image. */
    private static final List<Class<?>> PROCESS_BOUND = List.of(
            java.util.Random.class, // SecureRandom too: a seed baked into the image repeats in every pod
            javax.crypto.Cipher.class, javax.crypto.Mac.class, java.security.MessageDigest.class,
            java.net.Socket.class, java.net.ServerSocket.class, java.net.DatagramSocket.class,
            java.nio.channels.Channel.class, io.netty.channel.Channel.class, io.netty.channel.EventLoopGroup.class,
            io.netty.buffer.ByteBuf.class, io.netty.buffer.ByteBufAllocator.class,
            Thread.class, java.util.concurrent.Executor.class, java.lang.management.PlatformManagedObject.class);

    private final Properties app = applicationProperties();

    @Test
    void classesWithProcessBoundStaticsAreInitialisedAtRunTime() throws Exception {
        Set<String> offenders = new TreeSet<>();
        for (Path root : List.of(classesRoot(ProxyMain.class), classesRoot(ProxyConfig.class))) {
            for (String name : classNames(root)) {
                // Loaded without initialising: its static initialiser must not run here either.
                Class<?> c = Class.forName(name, false, getClass().getClassLoader());
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers())
                            && PROCESS_BOUND.stream().anyMatch(t -> t.isAssignableFrom(f.getType()))) {
                        offenders.add(name);
                    }
                }
            }
        }
        assertThat(offenders).as("sanity: the scan finds the one known case")
                .contains("io.sniproxy.proxy.metrics.FileDescriptors");
        assertThat(runtimeInitialised())
                .as("quarkus.native.additional-build-args --initialize-at-run-time in application.properties")
                .containsAll(offenders);
    }

    @Test
    void everyResourceOfTheAppIsIncludedInTheNativeImage() throws Exception {
        Path root = classesRoot(ProxyMain.class);
        String includes = app.getProperty("quarkus.native.resources.includes", "");
        FileSystem fs = FileSystems.getDefault();
        List<java.nio.file.PathMatcher> matchers = Arrays.stream(includes.split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).map(g -> fs.getPathMatcher("glob:" + g)).toList();
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                Path rel = root.relativize(p);
                // Classes are compiled in; Quarkus reads application.properties at build time itself.
                if (rel.toString().endsWith(".class") || rel.toString().equals("application.properties")
                        || rel.startsWith("META-INF")) {
                    continue;
                }
                if (matchers.stream().noneMatch(m -> m.matches(rel))) {
                    missing.add(rel.toString());
                }
            }
        }
        assertThat(includes).as("the built-in default config").contains("sniproxy-default.yaml");
        assertThat(missing).as("resources not in quarkus.native.resources.includes").isEmpty();
    }

    private Set<String> runtimeInitialised() {
        Set<String> names = new TreeSet<>();
        for (String arg : app.getProperty("quarkus.native.additional-build-args", "").split("(?<!\\\\),")) {
            String a = arg.trim();
            if (a.startsWith("--initialize-at-run-time=")) {
                for (String n : a.substring("--initialize-at-run-time=".length()).split("\\\\,")) {
                    names.add(n.trim());
                }
            }
        }
        return names;
    }

    private static Properties applicationProperties() {
        Properties p = new Properties();
        try (InputStream in = NativeImageReadinessTest.class.getClassLoader()
                .getResourceAsStream("application.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return p;
    }

    private static Path classesRoot(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Class names under a classes directory or in a jar. */
    private static List<String> classNames(Path root) throws IOException {
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                return files.map(root::relativize).map(Path::toString).filter(s -> s.endsWith(".class"))
                        .filter(s -> !s.endsWith("module-info.class") && !s.endsWith("package-info.class"))
                        .map(s -> s.substring(0, s.length() - 6).replace('/', '.')).toList();
            }
        }
        try (FileSystem jar = FileSystems.newFileSystem(root, Map.of()); Stream<Path> files = Files.walk(jar.getPath("/"))) {
            return files.map(Path::toString).filter(s -> s.endsWith(".class"))
                    .filter(s -> !s.endsWith("module-info.class") && !s.endsWith("package-info.class"))
                    .map(s -> s.substring(1, s.length() - 6).replace('/', '.')).toList();
        }
    }
}
