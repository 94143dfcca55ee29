package org.example.hello;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A small HTTP service: {@code /} answers JSON, {@code /healthz} answers 200,
 * every request and lifecycle event is one JSON line on stdout, and SIGTERM
 * stops the server through a shutdown hook. Listens on {@code --listen=HOST:PORT},
 * else {@code $LISTEN_ADDR}, else {@code :8080}.
 */
public final class Main {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private Main() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        String addr = System.getenv().getOrDefault("LISTEN_ADDR", ":8080");
        for (String arg : args) {
            if (arg.startsWith("--listen=")) addr = arg.substring("--listen=".length());
        }
        int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/healthz", ex -> reply(ex, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8)));
        server.createContext("/", ex -> {
            if (!ex.getRequestURI().getPath().equals("/")) {
                reply(ex, 404, "application/json", JSON.writeValueAsBytes(Map.of("error", "not found")));
                return;
            }
            ObjectNode body = JSON.createObjectNode()
                    .put("message", "hello from java-hello")
                    .put("java", Runtime.version().toString());
            reply(ex, 200, "application/json", JSON.writeValueAsBytes(body));
        });

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("info", "shutting down", Map.of());
            server.stop(1); // lets requests in flight finish, for at most a second
            log("info", "stopped", Map.of());
            stopped.countDown();
        }, "shutdown"));

        server.start();
        log("info", "listening", Map.of("addr", addr, "java", Runtime.version().toString()));
        stopped.await();
    }

    private static void reply(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        long start = System.nanoTime();
        try (ex; OutputStream out = ex.getResponseBody()) {
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, body.length);
            out.write(body);
        }
        log("info", "request", Map.of(
                "method", ex.getRequestMethod(),
                "path", ex.getRequestURI().getPath(),
                "status", status,
                "micros", (System.nanoTime() - start) / 1000));
    }

    private static void log(String level, String msg, Map<String, Object> fields) {
        ObjectNode line = JSON.createObjectNode()
                .put("time", Instant.now().toString())
                .put("level", level)
                .put("msg", msg);
        fields.forEach((k, v) -> line.set(k, JSON.valueToTree(v)));
        try {
            OUT.println(JSON.writeValueAsString(line));
        } catch (IOException e) {
            OUT.println("{\"level\":\"error\",\"msg\":\"log line not encoded\"}");
        }
    }
}
