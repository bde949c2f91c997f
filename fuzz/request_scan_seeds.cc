// Writes seeds for the request_scan fuzz target into a directory: the hand-made bodies and a
// thousand generated ones of core/tests/request_scan_corpus.h (scripts/fuzz adds the fixtures
// and runs it into build-fuzz/seeds/request_scan/).
#include <fstream>
#include <iostream>
#include <string>

#include "request_scan_corpus.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: request_scan_seeds DIR\n";
    return 2;
  }
  int n = 0;
  auto write = [&](const std::string& body) {
    std::ofstream(std::string(argv[1]) + "/seed-" + std::to_string(n++), std::ios::binary) << body;
  };
  for (const std::string& body : rqcheck::scan_corpus::hand_made_bodies()) {
    if (body.size() <= 4096) write(body);
  }
  rqcheck::scan_corpus::BodyGenerator gen(1);
  for (int i = 0; i < 1000; ++i) write(gen.body());
  std::cout << n << " seeds in " << argv[1] << "\n";
}
