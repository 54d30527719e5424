package org.kmodkit.core.image;

import org.kmodkit.core.BadInputException;

/**
 * A kernel image in a format that holds no export tables kmodkit reads (an arm64 Image, a zImage):
 * an error when the image is the only ABI source, a note when a symvers describes the kernel.
 */
public class ImageWithoutExportsException extends BadInputException {
  private static final long serialVersionUID = 1L;

  public ImageWithoutExportsException(String file, String problem) {
    super(file, problem);
  }
}
