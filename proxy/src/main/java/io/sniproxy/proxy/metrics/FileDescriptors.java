package io.sniproxy.proxy.metrics;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.io.IOException;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Real readings of this process's open and maximum file descriptors (Linux: /proc/self/fd, RLIMIT_NOFILE). */
public final class FileDescriptors {

    public static final int HIGH_WATER_PERCENT = 90;
    private static final OperatingSystemMXBean OS = ManagementFactory.getOperatingSystemMXBean();

    private FileDescriptors() {
    }

    public static long open() {
        return OS instanceof UnixOperatingSystemMXBean u ? u.getOpenFileDescriptorCount() : -1;
    }

    /** Open fds that are jar files ({@code /proc/self/fd} links ending in ".jar"); -1 where that cannot be read. */
    public static long openJars() {
        Path fds = Path.of("/proc/self/fd");
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
            long jars = 0;
            for (Path fd : entries) {
                try {
                    if (Files.readSymbolicLink(fd).toString().endsWith(".jar")) {
                        jars++;
                    }
                } catch (IOException e) {
                    // closed while listing (the directory's own fd, a socket just closed): not a jar
                }
            }
            return jars;
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    public static long max() {
        return OS instanceof UnixOperatingSystemMXBean u ? u.getMaxFileDescriptorCount() : -1;
    }

    public static boolean aboveHighWater(long open, long max) {
        return open >= 0 && max > 0 && open * 100 >= max * HIGH_WATER_PERCENT;
    }
}
