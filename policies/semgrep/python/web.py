import jwt
import requests
from flask import Flask, request
from flask_cors import CORS

app = Flask(__name__)
# ruleid: python-cors-wildcard
CORS(app)
# ok: python-cors-wildcard
CORS(app, origins=["https://shop.example.com"])
# ruleid: python-cors-wildcard
CORS_ALLOW_ALL_ORIGINS = True

# ruleid: python-hardcoded-credential
db_password = "s3cr3t-Pa55word!"
# ruleid: python-hardcoded-credential
API_KEY = "sk_live_9a8b7c6d5e4f3a2b"
# ok: python-hardcoded-credential
db_password = "changeme"
# ok: python-hardcoded-credential
password_field = "password"
# ok: python-hardcoded-credential
token = get_token()


@app.route("/proxy")
def proxy():
    target = request.args.get("url")
    # ruleid: python-ssrf-requests
    return requests.get(target, timeout=5).text


@app.route("/status")
def status():
    # ok: python-ssrf-requests
    return requests.get("https://status.example.com/api", timeout=5).text


def claims(token, key):
    # ruleid: python-jwt-unverified-decode
    jwt.decode(token, options={"verify_signature": False})
    # ruleid: python-jwt-unverified-decode
    jwt.decode(token, key, algorithms=["HS256", "none"])
    # ok: python-jwt-unverified-decode
    return jwt.decode(token, key, algorithms=["HS256"])


if __name__ == "__main__":
    # ruleid: python-flask-debug
    app.run(host="0.0.0.0", debug=True)
    # ok: python-flask-debug
    app.run(host="127.0.0.1", debug=False)
