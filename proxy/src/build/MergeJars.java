import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes one jar that behaves as the given jars on the JVM's class path, in that order, so that the
 * launcher's JVM holds one jar open instead of ~120 (the JDK's class path loader keeps every jar it
 * opened open for good, and it opens all of them while Quarkus starts: ~100 fds of the fd budget).
 *
 * <p>Class path semantics, kept: the first jar that has an entry provides it (Quarkus' transformed
 * classes come ahead of the originals they replace); {@code META-INF/services/*} files, which
 * {@link java.util.ServiceLoader} reads from every jar, are concatenated in order, and so is
 * Netty's {@code META-INF/io.netty.versions.properties}; a multi-release jar's versioned classes
 * are kept only where that jar also provides the base class (another jar ahead of it on the class
 * path wins, with all its versions). Left out: manifests, jar indexes, {@code module-info} (not
 * read on the class path) and signatures (none of the inputs is signed; a merged jar cannot keep
 * them valid: the tool fails on one).
 *
 * <p>{@code java MergeJars.java OUT.jar MANIFEST JAR...} (a single-file program: the build runs
 * it from source, as it runs the AOT training).
 */
public final class MergeJars {

    private static final String VERSIONS = "META-INF/versions/";

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: MergeJars OUT.jar MANIFEST JAR...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        Manifest manifest;
        try (InputStream in = Files.newInputStream(Path.of(args[1]))) {
            manifest = new Manifest(in);
        }
        Map<String, Integer> owner = new HashMap<>();        // entry -> index of the jar that provides it
        Map<String, byte[]> entries = new LinkedHashMap<>(); // in class path order
        Map<String, ByteArrayOutputStream> appended = new LinkedHashMap<>();
        boolean multiRelease = false;
        for (int i = 2; i < args.length; i++) {
            try (JarFile jar = new JarFile(args[i], false)) {
                Manifest own = jar.getManifest();
                boolean mr = own != null && "true".equalsIgnoreCase(own.getMainAttributes().getValue("Multi-Release"));
                multiRelease |= mr;
                List<JarEntry> versioned = new ArrayList<>();
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    JarEntry entry = e.nextElement();
                    String name = entry.getName();
                    if (entry.isDirectory() || leftOut(name, args[i])) {
                        continue;
                    }
                    if (name.startsWith(VERSIONS)) {
                        if (mr) {
                            versioned.add(entry);
                        }
                        continue;
                    }
                    if (appendedAcrossJars(name)) {
                        ByteArrayOutputStream all = appended.computeIfAbsent(name, n -> new ByteArrayOutputStream());
                        byte[] bytes = read(jar, entry);
                        all.write(bytes);
                        if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
                            all.write('\n');
                        }
                        continue;
                    }
                    if (owner.putIfAbsent(name, i) == null) {
                        entries.put(name, read(jar, entry));
                    }
                }
                for (JarEntry entry : versioned) {
                    String name = entry.getName();
                    String rest = name.substring(VERSIONS.length());
                    String base = rest.substring(rest.indexOf('/') + 1);
                    Integer baseOwner = owner.get(base);
                    if ((baseOwner == null || baseOwner == i) && owner.putIfAbsent(name, i) == null) {
                        entries.put(name, read(jar, entry));
                    }
                }
            }
        }
        Attributes main = manifest.getMainAttributes();
        main.putIfAbsent(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (multiRelease) {
            main.put(Attributes.Name.MULTI_RELEASE, "true");
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            try (OutputStream file = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(file, manifest)) {
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    put(jar, e.getKey(), e.getValue());
                }
                for (Map.Entry<String, ByteArrayOutputStream> e : appended.entrySet()) {
                    put(jar, e.getKey(), e.getValue().toByteArray());
                }
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp); // a half-written jar never stays beside the distribution
        }
        System.out.printf("merged %d jars into %s: %d entries%n", args.length - 2, out,
                entries.size() + appended.size());
    }

    private static boolean leftOut(String name, String jar) {
        String upper = name.toUpperCase(java.util.Locale.ROOT);
        if (upper.startsWith("META-INF/") && !upper.substring(9).contains("/")
                && (upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC"))) {
            throw new IllegalStateException(jar + " is signed (" + name + "): a merged jar cannot keep its signature");
        }
        return name.equals("META-INF/MANIFEST.MF") || name.equals("META-INF/INDEX.LIST")
                || name.equals("module-info.class") || name.endsWith("/module-info.class");
    }

    private static boolean appendedAcrossJars(String name) {
        return (name.startsWith("META-INF/services/") && name.indexOf('/', "META-INF/services/".length()) < 0)
                || name.equals("META-INF/io.netty.versions.properties");
    }

    private static byte[] read(JarFile jar, JarEntry entry) throws IOException {
        try (InputStream in = jar.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    private static void put(JarOutputStream jar, String name, byte[] bytes) throws IOException {
        JarEntry entry = new JarEntry(name);
        entry.setTime(0); // reproducible: the same inputs give the same jar (and the AOT cache checks its mtime, not this)
        jar.putNextEntry(entry);
        jar.write(bytes);
        jar.closeEntry();
    }
}
