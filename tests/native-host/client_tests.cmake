# The client suite: AddIn.WebSocket.Client through the host, against the reference servers in
# tests/peers/servers (Node ws, Python websockets) and our own server object.
#   ctest --test-dir tests/native-host/build -R '^(Lang|Servers)/Client|^Client' --output-on-failure
add_executable(client_test
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/client_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/client_support.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/server_support.cpp)
target_link_libraries(client_test PRIVATE addin_host GTest::gtest)
gtest_discover_tests(client_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120)

# The client against hostile and broken servers (tests/peers/hostile/server.py), issue 14.
add_executable(client_hostile_test
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/client_hostile_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/client_support.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/server_support.cpp)
target_link_libraries(client_hostile_test PRIVATE addin_host GTest::gtest)
gtest_discover_tests(client_hostile_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120)

# Behind nginx (samples/nginx/websocket.conf), trusted proxies and forwarded headers (issue 11).
add_executable(proxy_test
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/proxy_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/client_support.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/server_support.cpp)
target_link_libraries(proxy_test PRIVATE addin_host GTest::gtest)
gtest_discover_tests(proxy_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120)

# permessage-deflate, server and client (issue 11).
add_executable(compression_test
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/compression_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/client_support.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/server_support.cpp)
target_link_libraries(compression_test PRIVATE addin_host GTest::gtest)
gtest_discover_tests(compression_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120)

# TLS 1.2/1.3 only, whatever OpenSSL's configuration allows (issue 13).
add_executable(tls_versions_test
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/tls_versions_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/client_support.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/server_support.cpp)
target_link_libraries(tls_versions_test PRIVATE addin_host GTest::gtest)
gtest_discover_tests(tls_versions_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 30 PROPERTIES TIMEOUT 120)
