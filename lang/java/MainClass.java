import java.io.*;
import java.nio.file.Path;
import java.util.*;
import java.util.zip.*;

// MainClass finds the class a Spring Boot jar starts as Boot's build
// plugins do, from the class files alone (nothing is loaded or run).
class MainClass {
    static final String BOOT = "Lorg/springframework/boot/autoconfigure/SpringBootApplication;";

    // A class with a main method: its name, its source file, whether it
    // is annotated @SpringBootApplication.
    record Candidate(String name, String source, boolean boot) {
        public String toString() {
            return name + " (" + (source == null ? "no source file recorded" : source) + (boot ? ", @SpringBootApplication" : "") + ")";
        }
    }

    static String find(Path jar) throws IOException {
        List<Candidate> mains = new ArrayList<>();
        try (ZipFile in = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(in.entries())) {
                String n = e.getName();
                if (!n.endsWith(".class") || n.startsWith("META-INF/") || n.endsWith("module-info.class")) continue;
                try (InputStream s = in.getInputStream(e)) {
                    Candidate c = read(new DataInputStream(new BufferedInputStream(s)));
                    if (c != null) mains.add(c);
                } catch (IOException | RuntimeException ex) {
                    // not a class file we can read: not a main class
                }
            }
        }
        mains.sort(Comparator.comparing(Candidate::name));
        List<Candidate> boot = mains.stream().filter(Candidate::boot).toList();
        if (mains.size() == 1) return mains.get(0).name();
        if (boot.size() == 1) return boot.get(0).name();
        if (mains.isEmpty()) {
            System.err.println("error: " + jar.getFileName() + " has no class with public static void main(String[]); set java.main");
        } else {
            System.err.println("error: " + jar.getFileName() + " has " + mains.size() + " classes with a main method and "
                + (boot.isEmpty() ? "none" : boot.size()) + " annotated @SpringBootApplication; set java.main to one of:");
            for (Candidate c : mains) System.err.println("  " + c);
        }
        return null;
    }

    // read parses one class file; null unless it has public static void
    // main(String[]).
    static Candidate read(DataInputStream in) throws IOException {
        if (in.readInt() != 0xCAFEBABE) return null;
        in.readUnsignedShort();
        in.readUnsignedShort();
        int n = in.readUnsignedShort();
        Object[] pool = new Object[n];
        for (int i = 1; i < n; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> pool[i] = in.readUTF();
                case 7, 8, 16, 19, 20 -> pool[i] = in.readUnsignedShort();
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 5, 6 -> { in.readLong(); i++; }
                case 15 -> { in.readUnsignedByte(); in.readUnsignedShort(); }
                default -> throw new IOException("constant pool tag " + tag);
            }
        }
        in.readUnsignedShort();
        String name = utf(pool, (Integer) pool[in.readUnsignedShort()]);
        in.readUnsignedShort();
        in.skipNBytes(2L * in.readUnsignedShort());
        skipMembers(in, pool, false);
        if (!skipMembers(in, pool, true)) return null;
        String source = null;
        boolean boot = false;
        for (int a = in.readUnsignedShort(); a > 0; a--) {
            String attr = utf(pool, in.readUnsignedShort());
            int len = in.readInt();
            if (attr.equals("SourceFile")) {
                source = utf(pool, in.readUnsignedShort());
            } else if (attr.equals("RuntimeVisibleAnnotations")) {
                for (int k = in.readUnsignedShort(); k > 0; k--) boot |= annotation(in, pool);
            } else {
                in.skipNBytes(len);
            }
        }
        String pkg = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
        return new Candidate(name.replace('/', '.'), source == null ? null : pkg + source, boot);
    }

    // skipMembers reads the fields or methods; for methods, it tells
    // whether one is public static void main(String[]).
    static boolean skipMembers(DataInputStream in, Object[] pool, boolean methods) throws IOException {
        boolean main = false;
        for (int m = in.readUnsignedShort(); m > 0; m--) {
            int flags = in.readUnsignedShort();
            String name = utf(pool, in.readUnsignedShort());
            String desc = utf(pool, in.readUnsignedShort());
            main |= methods && (flags & 0x0009) == 0x0009 && name.equals("main") && desc.equals("([Ljava/lang/String;)V");
            for (int a = in.readUnsignedShort(); a > 0; a--) {
                in.readUnsignedShort();
                in.skipNBytes(in.readInt());
            }
        }
        return main;
    }

    // annotation reads one annotation; true if it is @SpringBootApplication.
    static boolean annotation(DataInputStream in, Object[] pool) throws IOException {
        String type = utf(pool, in.readUnsignedShort());
        for (int p = in.readUnsignedShort(); p > 0; p--) {
            in.readUnsignedShort();
            elementValue(in, pool);
        }
        return type.equals(BOOT);
    }

    static void elementValue(DataInputStream in, Object[] pool) throws IOException {
        int tag = in.readUnsignedByte();
        switch (tag) {
            case 'e' -> in.readInt();
            case '@' -> annotation(in, pool);
            case '[' -> { for (int k = in.readUnsignedShort(); k > 0; k--) elementValue(in, pool); }
            default -> in.readUnsignedShort();
        }
    }

    static String utf(Object[] pool, int i) throws IOException {
        if (i <= 0 || i >= pool.length || !(pool[i] instanceof String s)) throw new IOException("bad constant pool index " + i);
        return s;
    }
}
