# tests/image/image.mk - build the Dockerfile with buildah and test the image
# (tests/image/image.bats; about two minutes cold, under one with the layer
# cache in build/image). Part of `make check`.
.PHONY: image-check image-clean
image-check: all
	MIGSOCK_BIN=$(abspath $(BUILDDIR)/bin) $(BATS) --print-output-on-failure tests/image

# The image store holds root-owned overlay layers: remove it through buildah.
image-clean:
	-buildah --root build/image/storage --runroot build/image/run rm --all
	-buildah --root build/image/storage --runroot build/image/run rmi --all --force
	rm -rf build/image

CHECK_EXTRA += image-check
