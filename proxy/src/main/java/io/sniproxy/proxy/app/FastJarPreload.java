package io.sniproxy.proxy.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Started as {@code java -jar quarkus-run.jar}, loads every class the build's training run loaded
 * ({@code quarkus-app/sniproxy-classes.txt}) before Quarkus starts, without initialising them.
 *
 * <p>Why: the fast-jar's class loader (Quarkus' {@code RunnerClassLoader}) reads a class from its
 * jar the first time it is needed and, once the application has started, keeps only the last few
 * jars open. A class needed for the first time later opens its jar again, and when that open fails
 * (the process is out of fds: exactly when the fd-limit paths run) the loader leaves that jar's
 * entry pending for good: every later class or resource from that jar, on every thread, waits for
 * it forever (quarkusio/quarkus#48750; FdLimitIT saw both event loops parked in
 * {@code JarFileReference.asyncLoadAcquiredJarFile}). Loaded here, while jars can still be opened,
 * the classes of every path the training exercised never need their jar again. The launcher
 * ({@code bin/sniproxy}) runs the classes from the JVM's class path, whose loader keeps its one jar
 * open: it needs none of this.
 */
public final class FastJarPreload {

    /** Written beside quarkus-run.jar by the build (io.sniproxy.aot.TrainingRun). */
    public static final String CLASS_LIST = "sniproxy-classes.txt";
    static final String FAST_JAR_LOADER = "io.quarkus.bootstrap.runner.RunnerClassLoader";

    /** What {@link #run} did, for the start-up log: nothing, or how many classes in what time. */
    public record Outcome(boolean fastJar, Path list, boolean listFound, int loaded, int missing, long millis) {

        static final Outcome NOT_FAST_JAR = new Outcome(false, null, false, 0, 0, 0);

        public String describe() {
            if (!listFound) {
                return "started from the fast-jar (java -jar quarkus-run.jar) without " + list
                        + ": a class first needed later is read from its jar then, and if the process is out of"
                        + " fds at that moment the fast-jar's class loader waits for that jar forever"
                        + " (quarkusio/quarkus#48750); build with the AOT training (the default) or start bin/sniproxy";
            }
            return "started from the fast-jar (java -jar quarkus-run.jar): " + loaded + " classes of the paths the"
                    + " build's training run took loaded in " + millis + " ms (" + list.getFileName() + "), so that none"
                    + " has to open its jar when the process is out of fds" + (missing == 0 ? "" : "; " + missing
                    + " listed classes not in this build");
        }
    }

    private static volatile Outcome outcome = Outcome.NOT_FAST_JAR;

    private FastJarPreload() {
    }

    /** What {@link #run} did in this process. */
    public static Outcome outcome() {
        return outcome;
    }

    /** Preloads when this class came from the fast-jar's loader; the list sits beside the jar started. */
    static void run() {
        ClassLoader loader = FastJarPreload.class.getClassLoader();
        if (loader == null || !loader.getClass().getName().equals(FAST_JAR_LOADER)) {
            return;
        }
        Path jar = Path.of(System.getProperty("java.class.path", "quarkus-run.jar")).toAbsolutePath();
        outcome = preload(jar.resolveSibling(CLASS_LIST), loader);
    }

    /** Loads (never initialises) each class named in {@code list}; names this build lacks are counted. */
    static Outcome preload(Path list, ClassLoader loader) {
        long start = System.nanoTime();
        List<String> names;
        try {
            names = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new Outcome(true, list, false, 0, 0, 0);
        }
        int loaded = 0;
        int missing = 0;
        for (String name : names) {
            if (name.isBlank()) {
                continue;
            }
            try {
                Class.forName(name.strip(), false, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                missing++;
            }
        }
        return new Outcome(true, list, true, loaded, missing, (System.nanoTime() - start) / 1_000_000);
    }
}
