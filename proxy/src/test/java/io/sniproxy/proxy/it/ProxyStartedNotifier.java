package io.sniproxy.proxy.it;

import io.quarkus.test.common.IntegrationTestStartedNotifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;

/**
 * Tells {@code @QuarkusIntegrationTest} when the packaged proxy is up. Its default waits for
 * "Listening on: http://..." from Quarkus' HTTP server, which the proxy does not run (its listeners
 * are Netty channels of its own), so it would wait until its timeout. Quarkus logs "started in" after
 * every startup observer returned, and the proxy's observer returns only once its listeners are
 * bound (or it has logged why they are not, which the tests then report).
 */
public class ProxyStartedNotifier implements IntegrationTestStartedNotifier {

    @Override
    public Result check(Context context) {
        try {
            if (Files.readString(context.logFile()).contains(") started in ")) {
                return new Started();
            }
        } catch (NoSuchFileException e) {
            // the process has not written its log yet
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + context.logFile(), e);
        }
        return Result.NotStarted.INSTANCE;
    }

    private record Started() implements Result {
        @Override
        public boolean isStarted() {
            return true;
        }

        @Override
        public boolean isSsl() {
            return false;
        }
    }
}
