{
  "targets": [
    {
      "target_name": "portpath",
      "sources": ["native/portpath.cc"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_cc": ["-Wall", "-Wextra", "-std=gnu++17"]
    }
  ]
}
