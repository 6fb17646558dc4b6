# vision/models.mk: `make models`, included by the top-level Makefile.
#
# Installs the npm package @vladmandic/face-api at a pinned version into
# .cache/npm, checks the sha256 of every weight file used against
# vision/models/faceapi-$(FACEAPI_VERSION).sha256, and converts the tfjs
# networks to ONNX with vision/cmd/egate-models into .cache/models. The
# converter checks its outputs against vision/models/onnx.sha256.
# Everything is cached: nothing is redone while the inputs are unchanged.
#
# Standalone: make -f vision/models.mk models

FACEAPI_VERSION ?= 1.7.15
MODELS_NPM_DIR  ?= .cache/npm
MODELS_OUT_DIR  ?= .cache/models
MODELS_GO       ?= go
MODELS_NPM      ?= npm

FACEAPI_DIR       := $(MODELS_NPM_DIR)/node_modules/@vladmandic/face-api
FACEAPI_MODEL_DIR := $(FACEAPI_DIR)/model
FACEAPI_STAMP     := $(MODELS_NPM_DIR)/.face-api-$(FACEAPI_VERSION).installed
FACEAPI_SUMS      := vision/models/faceapi-$(FACEAPI_VERSION).sha256
FACEAPI_VERIFIED  := $(MODELS_NPM_DIR)/.face-api-$(FACEAPI_VERSION).verified
ONNX_SUMS         := vision/models/onnx.sha256
MODELS_ONNX       := $(addprefix $(MODELS_OUT_DIR)/,$(shell cut -d" " -f3 vision/models/onnx.sha256))
MODELS_TOOL_SRC   := $(filter-out %_test.go,$(wildcard vision/cmd/egate-models/*.go vision/tfjsconv/*.go vision/onnx/*.go vision/models/*.go))

.PHONY: models models-clean

models: $(MODELS_ONNX)

# npm verifies the tarball against the registry's integrity hash; the
# version is pinned, scripts are not run.
$(FACEAPI_STAMP):
	mkdir -p $(MODELS_NPM_DIR)
	$(MODELS_NPM) install --prefix $(MODELS_NPM_DIR) --no-audit --no-fund --ignore-scripts \
		--save-exact @vladmandic/face-api@$(FACEAPI_VERSION)
	test "$$(node -p 'require("./$(FACEAPI_DIR)/package.json").version')" = "$(FACEAPI_VERSION)"
	touch $@

$(FACEAPI_VERIFIED): $(FACEAPI_STAMP) $(FACEAPI_SUMS)
	cd $(FACEAPI_MODEL_DIR) && sha256sum --check --strict --quiet $(CURDIR)/$(FACEAPI_SUMS)
	touch $@

# One run of the converter writes every network (atomically); the grouped
# target (&:) tells make so.
$(MODELS_ONNX) &: $(FACEAPI_VERIFIED) $(ONNX_SUMS) $(MODELS_TOOL_SRC)
	$(MODELS_GO) run -trimpath -mod=readonly ./vision/cmd/egate-models \
		-src $(FACEAPI_MODEL_DIR) -out $(MODELS_OUT_DIR)
	cd $(MODELS_OUT_DIR) && sha256sum --check --strict --quiet $(CURDIR)/$(ONNX_SUMS)
	touch $(MODELS_ONNX)

models-clean:
	rm -rf $(MODELS_OUT_DIR) $(MODELS_NPM_DIR)

# vision-bench: the face pipeline per 640x480 frame (model load,
# detection, landmarks, descriptor, whole frame, one gate verification)
# and the RSS with the models loaded, as a table. Part of `make bench`.
.PHONY: vision-bench
BENCH_EXTRA += vision-bench

vision-bench: models
	$(MODELS_GO) run -trimpath ./vision/cmd/vision-bench -models $(MODELS_OUT_DIR) -n 100
