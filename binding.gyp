{
  "variables": {
    "opus_dir": "<!(node -p \"require('path').dirname(require.resolve('@discordjs/opus/package.json'))\")/deps"
  },
  "targets": [
    {
      "target_name": "parley",
      "sources": ["<!@(node native/gyp-sources.mjs)"],
      "dependencies": ["<(opus_dir)/binding.gyp:libopus"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<(opus_dir)/opus/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags": ["-O3", "-fno-math-errno", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3"]
    }
  ]
}
