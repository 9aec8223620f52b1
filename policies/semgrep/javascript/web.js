const https = require("https");
const crypto = require("crypto");
const cors = require("cors");
const jwt = require("jsonwebtoken");
const axios = require("axios");

// ruleid: js-tls-verification-disabled
const agent = new https.Agent({ rejectUnauthorized: false });
// ok: js-tls-verification-disabled
const safeAgent = new https.Agent({ rejectUnauthorized: true });
// ruleid: js-tls-verification-disabled
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";

function auth(req, res, key) {
  // ruleid: js-jwt-unverified
  jwt.verify(req.headers.token, key, { algorithms: ["HS256", "none"] });
  // ok: js-jwt-unverified
  jwt.verify(req.headers.token, key, { algorithms: ["HS256"] });
  const claims = jwt.decode(req.headers.token);
  // ruleid: js-jwt-unverified
  req.user = claims;
}

// ruleid: js-cors-wildcard
app.use(cors());
// ruleid: js-cors-wildcard
app.use(cors({ origin: "*" }));
// ok: js-cors-wildcard
app.use(cors({ origin: ["https://shop.example.com"] }));

function hashes(data) {
  // ruleid: js-weak-hash
  crypto.createHash("md5").update(data);
  // ok: js-weak-hash
  crypto.createHash("sha256").update(data);
}

// ruleid: js-hardcoded-credential
const dbPassword = "Pr0d-Passw0rd-2024!";
// ok: js-hardcoded-credential
const passwordField = "password";
// ok: js-hardcoded-credential
const apiToken = process.env.API_TOKEN;

app.get("/proxy", async (req, res) => {
  // ruleid: js-ssrf-request-url
  const page = await axios.get(req.query.url);
  // ok: js-ssrf-request-url
  const status = await axios.get("https://status.example.com/api");
  res.send(page.data + status.data);
});
