package io.sniproxy.proxy.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JVM's {@code -Xlog:class+load=info:file=PATH} of a proxy under test, read from a mark on:
 * which classes were read from a jar since (the fast-jar's loader names each class's jar as its
 * source; the AOT cache, the JDK's modules and hidden classes name something else).
 */
record ClassLoadLog(Path file) {

    /** The JVM option that writes this log. */
    String option() {
        return "-Xlog:class+load=info:file=" + file;
    }

    /** A mark to read from later: what has been logged so far. */
    long mark() throws IOException {
        return Files.size(file);
    }

    /** The classes read from a jar after {@code mark}, each with its source. */
    List<String> readFromJarsSince(long mark) throws IOException {
        try (var in = Files.newInputStream(file)) {
            in.skipNBytes(mark);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> l.contains(" source: ") && l.contains(".jar"))
                    .map(l -> l.substring(l.indexOf("] ", l.indexOf("[class,load]")) + 2))
                    .toList();
        }
    }
}
