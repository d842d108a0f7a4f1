package io.sniproxy.operator.node;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A test hook loaded into a proxy pod's JVM ({@code -javaagent}): once the trigger file named by its
 * argument exists, it opens {@code /dev/null} 20 times a second and never closes it: a file
 * descriptor leak with no connection behind it, the incident the operator's watchdog is for.
 */
public final class LeakAgent {

    private LeakAgent() {
    }

    public static void premain(String trigger) {
        Thread t = new Thread(() -> leakWhenTriggered(Path.of(trigger)), "fd-leak-hook");
        t.setDaemon(true);
        t.start();
    }

    private static void leakWhenTriggered(Path trigger) {
        List<FileInputStream> leaked = new ArrayList<>();
        try {
            while (true) {
                Thread.sleep(50);
                if (Files.exists(trigger)) {
                    leaked.add(new FileInputStream("/dev/null"));
                }
            }
        } catch (InterruptedException | IOException e) {
            // The JVM is stopping, or out of descriptors: the leak has made its point.
        }
    }
}
