import java.io.*;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.*;
import javax.crypto.Cipher;
import javax.net.ssl.*;

public class Security {
    void run(String name) throws Exception {
        // ruleid: java-runtime-exec-dynamic
        Runtime.getRuntime().exec("ls " + name);
        // ok: java-runtime-exec-dynamic
        Runtime.getRuntime().exec("uptime");
    }

    void query(Connection conn, String name) throws Exception {
        Statement stmt = conn.createStatement();
        // ruleid: java-sql-string-building
        stmt.executeQuery("SELECT * FROM users WHERE name = '" + name + "'");
        // ok: java-sql-string-building
        PreparedStatement ps = conn.prepareStatement("SELECT * FROM users WHERE name = ?");
    }

    Object read(InputStream raw) throws Exception {
        ObjectInputStream in = new ObjectInputStream(raw);
        // ruleid: java-object-deserialisation
        return in.readObject();
    }

    Object readFiltered(InputStream raw, ObjectInputFilter filter) throws Exception {
        ObjectInputStream in = new ObjectInputStream(raw);
        in.setObjectInputFilter(filter);
        // ok: java-object-deserialisation
        return in.readObject();
    }

    void crypto() throws Exception {
        // ruleid: java-weak-crypto
        MessageDigest.getInstance("MD5");
        // ruleid: java-weak-crypto
        Cipher.getInstance("AES/ECB/PKCS5Padding");
        // ok: java-weak-crypto
        MessageDigest.getInstance("SHA-256");
        // ok: java-weak-crypto
        Cipher.getInstance("AES/GCM/NoPadding");
    }

    class TrustAll implements X509TrustManager {
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}
        // ruleid: java-trust-all-certificates
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    class Strict implements X509TrustManager {
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}
        // ok: java-trust-all-certificates
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException { delegate.checkServerTrusted(chain, authType); }
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
