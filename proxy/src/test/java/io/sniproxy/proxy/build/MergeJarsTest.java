package io.sniproxy.proxy.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build's jar merger (src/build/MergeJars.java, run from source as the build runs it): one jar
 * that a class loader reads as it reads the inputs on a class path, in order.
 */
class MergeJarsTest {

    private static final Path TOOL = Path.of("src/build/MergeJars.java").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void theFirstJarWithAnEntryProvidesItAndServiceFilesFromEveryJarAreKept() throws Exception {
        Path transformed = jar("transformed.jar", false, Map.of("a/B.txt", "transformed"));
        Path lib1 = jar("lib1.jar", false, Map.of("a/B.txt", "original", "META-INF/services/x.Spi", "one.Impl",
                "only/In1.txt", "1", "module-info.class", "module"));
        Path lib2 = jar("lib2.jar", false, Map.of("META-INF/services/x.Spi", "two.Impl\n", "only/In2.txt", "2"));
        Path merged = merge(transformed, lib1, lib2);

        try (URLClassLoader onTheClassPath = loader(transformed, lib1, lib2); URLClassLoader fromOne = loader(merged)) {
            for (String name : List.of("a/B.txt", "only/In1.txt", "only/In2.txt")) {
                assertThat(read(fromOne, name)).as(name).isEqualTo(read(onTheClassPath, name));
            }
            assertThat(read(fromOne, "a/B.txt")).isEqualTo("transformed");
            assertThat(services(fromOne)).isEqualTo(services(onTheClassPath)).containsExactly("one.Impl", "two.Impl");
        }
        try (JarFile jar = new JarFile(merged.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.example.Main");
            assertThat(jar.getEntry("module-info.class")).as("not read on the class path").isNull();
            assertThat(jar.isMultiRelease()).isFalse();
        }
    }

    @Test
    void aVersionedClassStaysWithItsJarsBaseClassAndLosesToAJarAheadOfIt() throws Exception {
        Path ahead = jar("ahead.jar", false, Map.of("p/Shadowed.class", "ahead"));
        Path mr = jar("mr.jar", true, Map.of("p/Shadowed.class", "mr base", "p/Own.class", "mr base",
                "META-INF/versions/17/p/Shadowed.class", "mr 17", "META-INF/versions/17/p/Own.class", "mr 17"));
        Path merged = merge(ahead, mr);
        try (JarFile jar = new JarFile(merged.toFile(), true, java.util.zip.ZipFile.OPEN_READ, Runtime.version())) {
            assertThat(jar.isMultiRelease()).isTrue();
            assertThat(content(jar, "p/Own.class")).isEqualTo("mr 17");        // as from mr.jar on JDK 17+
            assertThat(content(jar, "p/Shadowed.class")).isEqualTo("ahead");   // as on the class path: ahead wins
        }
    }

    @Test
    void aSignedJarIsRefusedNotMergedWithABrokenSignature() throws Exception {
        Path signed = jar("signed.jar", false, Map.of("c/D.txt", "d", "META-INF/SIGNER.SF", "sig"));
        Process p = run(dir.resolve("out.jar"), signed);
        assertThat(p.exitValue()).isNotZero();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("is signed");
        assertThat(dir.resolve("out.jar")).doesNotExist();
    }

    private Path merge(Path... jars) throws Exception {
        Path out = dir.resolve("merged.jar");
        Process p = run(out, jars);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(output).isZero();
        return out;
    }

    private Process run(Path out, Path... jars) throws Exception {
        Path manifest = dir.resolve("MANIFEST.MF");
        Files.writeString(manifest, "Manifest-Version: 1.0\nMain-Class: io.example.Main\n");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                TOOL.toString(), out.toString(), manifest.toString()));
        for (Path j : jars) {
            cmd.add(j.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p;
    }

    private Path jar(String name, boolean multiRelease, Map<String, String> entries) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (multiRelease) {
            m.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true");
        }
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, m)) {
            for (Map.Entry<String, String> e : new LinkedHashMap<>(entries).entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                jar.closeEntry();
            }
        }
        return file;
    }

    private static URLClassLoader loader(Path... jars) throws IOException {
        URL[] urls = new URL[jars.length];
        for (int i = 0; i < jars.length; i++) {
            urls[i] = jars[i].toUri().toURL();
        }
        return new URLClassLoader(urls, null);
    }

    private static String read(ClassLoader loader, String name) throws IOException {
        try (var in = loader.getResourceAsStream(name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> services(ClassLoader loader) throws IOException {
        List<String> lines = new ArrayList<>();
        for (URL u : Collections.list(loader.getResources("META-INF/services/x.Spi"))) {
            try (var in = u.openStream()) {
                new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                        .filter(l -> !l.isEmpty()).forEach(lines::add);
            }
        }
        return lines;
    }

    private static String content(JarFile jar, String name) throws IOException {
        try (var in = jar.getInputStream(jar.getJarEntry(name))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
