package io.sniproxy.proxy.arch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The proxy's packages depend on each other in one direction only (listener → sniff → route →
 * connect → pipe → close reads downwards; {@code metrics} and {@code fd} are leaves). A cycle means
 * two packages are one in disguise; it is how {@code Outcome} once tied {@code route} to {@code tcp}.
 */
class PackageCyclesTest {

    static final Path SOURCES = Path.of("src/main/java/io/sniproxy/proxy");
    static final Pattern REFERENCE = Pattern.compile("\\bio\\.sniproxy\\.proxy\\.([a-z]+)\\.");

    @Test
    void theProxysPackagesHaveNoDependencyCycle() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = SOURCES.relativize(f.getParent()).toString().replace('/', '.');
                if (pkg.isEmpty()) {
                    continue;
                }
                String top = pkg.split("\\.")[0];
                uses.computeIfAbsent(top, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(Files.readString(f));
                while (m.find()) {
                    if (!m.group(1).equals(top)) {
                        uses.computeIfAbsent(top, k -> new TreeSet<>()).add(m.group(1));
                    }
                }
            }
        }
        assertThat(uses).as("packages found").containsKeys("tcp", "route", "runtime", "metrics");
        List<String> cycles = new ArrayList<>();
        for (String start : uses.keySet()) {
            findCycles(uses, start, new ArrayList<>(List.of(start)), cycles);
        }
        assertThat(cycles).as("package cycles (%s)", uses).isEmpty();
    }

    private static void findCycles(Map<String, Set<String>> uses, String at, List<String> path, List<String> cycles) {
        for (String next : uses.getOrDefault(at, Set.of())) {
            if (next.equals(path.get(0))) {
                cycles.add(String.join(" -> ", path) + " -> " + next);
            } else if (!path.contains(next) && next.compareTo(path.get(0)) > 0) { // each cycle once, from its least package
                path.add(next);
                findCycles(uses, next, path, cycles);
                path.remove(path.size() - 1);
            }
        }
    }
}
