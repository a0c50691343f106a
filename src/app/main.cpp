#include "app/cli.h"

int main(int argc, char** argv) { return sgeventd::app::run(argc, argv); }
