package io.sniproxy.proxy.fd;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.proxy.metrics.FileDescriptors;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reserve's baseline leaves out open jar files (the fast-jar class loader's start-up set), and
 * nothing else; on the JVM's class path, whose loader keeps its jars, it counts them.
 */
class FdReserveTest {

    @TempDir
    Path dir;

    @Test
    void openJarsAreCountedAndLeftOutOfTheBaselineOtherFilesAreNot() throws Exception {
        Path jar = Files.writeString(dir.resolve("some.jar"), "not really a jar");
        Path other = Files.writeString(dir.resolve("some.txt"), "a file");
        long jarsBefore = FileDescriptors.openJars();
        int baselineBefore = FdReserve.measure(2, false).baseline();
        try (FileChannel j1 = FileChannel.open(jar, StandardOpenOption.READ);
                FileChannel j2 = FileChannel.open(jar, StandardOpenOption.READ);
                FileChannel o = FileChannel.open(other, StandardOpenOption.READ)) {
            assertThat(FileDescriptors.openJars()).isEqualTo(jarsBefore + 2);
            // The two jars are left out, the text file is counted (other threads of the test JVM
            // may open or close an fd meanwhile: a tolerance of one either way, never the jars' 2).
            assertThat(FdReserve.measure(2, false).baseline()).isBetween(baselineBefore, baselineBefore + 2);
        }
        assertThat(FileDescriptors.openJars()).isEqualTo(jarsBefore);
    }

    @Test
    void jarsTheClassPathKeepsOpenAreCounted() throws Exception {
        Path jar = Files.writeString(dir.resolve("kept.jar"), "not really a jar");
        int baselineBefore = FdReserve.measure(2, true).baseline();
        try (FileChannel j1 = FileChannel.open(jar, StandardOpenOption.READ);
                FileChannel j2 = FileChannel.open(jar, StandardOpenOption.READ)) {
            assertThat(FdReserve.measure(2, true).baseline()).isBetween(baselineBefore + 1, baselineBefore + 3);
        }
        // This test runs on surefire's class path, as the launcher's proxy does: measure(int) counts the jars.
        assertThat(FdReserve.class.getClassLoader()).isSameAs(ClassLoader.getSystemClassLoader());
        long jars = FileDescriptors.openJars();
        assertThat(FdReserve.measure(2).baseline()).isGreaterThanOrEqualTo(FdReserve.measure(2, false).baseline() + (int) jars - 2);
    }

    @Test
    void theReserveIsTheBaselinePlusOneSocketPerListenerPerLoopPlusTheHeadroom() {
        assertThat(FdReserve.HEADROOM).isEqualTo(32 + 16 + 16 + 32);
        assertThat(new FdReserve(17, 2).forListeners(3)).isEqualTo(17 + 6 + 96);
    }
}
