#!/usr/bin/env bash
# Builds the 1C package into dist/ and starts the demo: an echo server run by the add-in, loaded
# by our native host exactly as the 1C platform loads it, driven by the seed's loop
#   Пока Сервер.Принять(0, ИДКлиента, Данные) Цикл Сервер.Отправить(ИДКлиента, Данные); КонецЦикла;
# Open samples/echo.html in a browser to talk to it. Ctrl+C stops it.
# Usage: ./run.sh [INTERFACE [PORT]]     (defaults: 0.0.0.0 8080)
set -euo pipefail
cd "$(dirname "$0")"
source tools/ci/apt.sh
./build.sh
apt_install g++ cmake make libgtest-dev googletest nlohmann-json3-dev zlib1g-dev
cmake -S tests/native-host -B tests/native-host/build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build tests/native-host/build -j2 --target ws-echo-host
echo "== the demo page: file://$PWD/samples/echo.html"
exec tests/native-host/build/ws-echo-host "${1:-0.0.0.0}" "${2:-8080}"
