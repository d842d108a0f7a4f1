package io.sniproxy.proxy.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FastJarPreloadTest {

    @TempDir
    Path dir;

    /** A loader of its own, so that what it loaded is visible and apart from the test's classes. */
    static final class Recording extends ClassLoader {
        final List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();

        Recording() {
            super(FastJarPreloadTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            asked.add(name);
            return super.loadClass(name, resolve);
        }
    }

    @Test
    void loadsEveryListedClassWithoutInitialisingItAndCountsTheNamesThisBuildLacks() throws Exception {
        Path list = Files.write(dir.resolve(FastJarPreload.CLASS_LIST), List.of(
                "io.sniproxy.proxy.app.FastJarPreloadTest$NotInitialised", "", "  java.util.ArrayList  ",
                "io.sniproxy.proxy.gone.Removed"));
        Recording loader = new Recording();
        FastJarPreload.Outcome o = FastJarPreload.preload(list, loader);
        assertThat(o.listFound()).isTrue();
        assertThat(o.loaded()).isEqualTo(2);
        assertThat(o.missing()).isEqualTo(1);
        assertThat(loader.asked).contains("io.sniproxy.proxy.app.FastJarPreloadTest$NotInitialised", "java.util.ArrayList");
        assertThat(notInitialisedRan).as("loaded, not initialised").isFalse();
        assertThat(o.describe()).contains("2 classes of the paths the build's training run took loaded in")
                .contains("1 listed classes not in this build");
    }

    @Test
    void withoutTheListItSaysWhatThatRisksAndHowToAvoidIt() {
        FastJarPreload.Outcome o = FastJarPreload.preload(dir.resolve("absent.txt"), new Recording());
        assertThat(o.listFound()).isFalse();
        assertThat(o.loaded()).isZero();
        assertThat(o.describe()).contains("without " + dir.resolve("absent.txt")).contains("out of fds")
                .contains("quarkusio/quarkus#48750").contains("bin/sniproxy");
    }

    @Test
    void startedAnyOtherWayItDoesNothing() {
        FastJarPreload.run(); // this test's class loader is not the fast-jar's
        assertThat(FastJarPreload.outcome().fastJar()).isFalse();
    }

    static volatile boolean notInitialisedRan;

    static final class NotInitialised {
        static {
            notInitialisedRan = true; // reading this flag from outside does not initialise the class
        }
    }
}
