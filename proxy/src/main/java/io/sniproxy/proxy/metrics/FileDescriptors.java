package io.sniproxy.proxy.metrics;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/** Real readings of this process's open and maximum file descriptors (Linux: /proc/self/fd, RLIMIT_NOFILE). */
public final class FileDescriptors {

    public static final int HIGH_WATER_PERCENT = 90;
    private static final OperatingSystemMXBean OS = ManagementFactory.getOperatingSystemMXBean();

    private FileDescriptors() {
    }

    public static long open() {
        return OS instanceof UnixOperatingSystemMXBean u ? u.getOpenFileDescriptorCount() : -1;
    }

    public static long max() {
        return OS instanceof UnixOperatingSystemMXBean u ? u.getMaxFileDescriptorCount() : -1;
    }

    public static boolean aboveHighWater(long open, long max) {
        return open >= 0 && max > 0 && open * 100 >= max * HIGH_WATER_PERCENT;
    }
}
