declare module "three/examples/jsm/loaders/STLLoader.js" {
  export class STLLoader {
    parse(data: ArrayBuffer | string): unknown;
  }
}
